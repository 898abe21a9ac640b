"""scikit-learn: a broad set of fitted estimators and transformers, pickled with protocols 2-5 and dumped with
joblib (uncompressed and zlib), plus the three models of the first corpus in every joblib compression."""

from .common import out, pickle_all_protocols, record

JOBLIB_VARIANTS = [
    # (suffix, compress argument, description)
    ("", 0, "joblib.dump, no compression"),
    ("_zlib3", 3, "joblib.dump(compress=3) (zlib)"),
    ("_gzip3", ("gzip", 3), "joblib.dump(compress=('gzip', 3))"),
    ("_bz2_3", ("bz2", 3), "joblib.dump(compress=('bz2', 3))"),
    ("_xz3", ("xz", 3), "joblib.dump(compress=('xz', 3))"),
    ("_lzma3", ("lzma", 3), "joblib.dump(compress=('lzma', 3))"),
]


def joblib_variants(joblib, stem, obj, library, what, variants):
    for suffix, compress, how in variants:
        name = "%s%s.joblib" % (stem, suffix)
        joblib.dump(obj, out(name), compress=compress)
        record(name, "%s + joblib" % library, joblib.__version__, "%s of %s" % (how, what))


def _data():
    import numpy as np
    from sklearn.datasets import make_classification
    X, y = make_classification(n_samples=40, n_features=4, n_informative=3, n_redundant=0, random_state=0)
    X3, y3 = make_classification(n_samples=60, n_features=4, n_informative=3, n_redundant=0, n_classes=3,
                                 random_state=0)
    return X.astype(np.float64), y, X3, y3


def _first_models(X, y):
    from sklearn.cluster import KMeans
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    return [
        ("sklearn_logreg", LogisticRegression(random_state=0).fit(X, y),
         "a fitted LogisticRegression (4 features, 2 classes)"),
        ("sklearn_pipeline_rf", Pipeline([("scale", StandardScaler()),
                                          ("rf", RandomForestClassifier(n_estimators=3, max_depth=3,
                                                                        random_state=0))]).fit(X, y),
         "a fitted Pipeline(StandardScaler, RandomForestClassifier(n_estimators=3, max_depth=3)) "
         "(sklearn.tree._tree.Tree objects, numpy arrays)"),
        ("sklearn_kmeans", KMeans(n_clusters=3, n_init=10, random_state=0).fit(X), "a fitted KMeans(n_clusters=3)"),
    ]


def _estimators(X, y, X3, y3):
    """(stem, fitted object, description). Tiny settings keep every file small."""
    import numpy as np
    import pandas as pd
    from sklearn import calibration, cluster, compose, decomposition, ensemble, feature_extraction, impute
    from sklearn import linear_model, model_selection, naive_bayes, neighbors, neural_network, pipeline
    from sklearn import preprocessing, svm, tree
    from sklearn.experimental import enable_hist_gradient_boosting  # noqa: F401  (a no-op import since 1.0)

    texts = ["the cat sat", "the dog ran", "a cat ran", "dogs and cats", "the end"]
    frame = pd.DataFrame({"age": [20.0, 31.0, np.nan, 45.0, 52.0, 38.0],
                          "city": ["Oslo", "Rome", "Oslo", "Lima", "Rome", np.nan],
                          "size": ["S", "M", "L", "M", "S", "L"]})
    frame_y = [0, 1, 0, 1, 1, 0]
    column_transformer = compose.ColumnTransformer([
        ("num", pipeline.make_pipeline(impute.SimpleImputer(strategy="median"), preprocessing.StandardScaler()),
         ["age"]),
        ("cat", pipeline.make_pipeline(impute.SimpleImputer(strategy="most_frequent"),
                                       preprocessing.OneHotEncoder(handle_unknown="ignore")), ["city"]),
        ("ord", preprocessing.OrdinalEncoder(categories=[["S", "M", "L"]]), ["size"]),
    ])
    small_forest = dict(n_estimators=2, max_depth=2, random_state=0)
    return [
        ("linear_regression", linear_model.LinearRegression().fit(X, y), "LinearRegression"),
        ("ridge", linear_model.Ridge(alpha=0.5).fit(X, y), "Ridge"),
        ("lasso", linear_model.Lasso(alpha=0.01).fit(X, y), "Lasso"),
        ("elasticnet", linear_model.ElasticNet(alpha=0.01).fit(X, y), "ElasticNet"),
        ("sgd_classifier", linear_model.SGDClassifier(random_state=0).fit(X, y), "SGDClassifier"),
        ("logreg_multinomial", linear_model.LogisticRegression(max_iter=200).fit(X3, y3),
         "LogisticRegression on 3 classes"),
        ("svc_rbf", svm.SVC(probability=True, random_state=0).fit(X, y), "SVC(probability=True)"),
        ("linear_svc", svm.LinearSVC(random_state=0, max_iter=2000).fit(X, y), "LinearSVC"),
        ("svr", svm.SVR().fit(X, X[:, 0]), "SVR"),
        ("decision_tree", tree.DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y),
         "DecisionTreeClassifier(max_depth=3)"),
        ("decision_tree_regressor", tree.DecisionTreeRegressor(max_depth=3, random_state=0).fit(X, X[:, 0]),
         "DecisionTreeRegressor(max_depth=3)"),
        ("random_forest_regressor", ensemble.RandomForestRegressor(**small_forest).fit(X, X[:, 0]),
         "RandomForestRegressor(n_estimators=2, max_depth=2)"),
        ("extra_trees", ensemble.ExtraTreesClassifier(**small_forest).fit(X, y),
         "ExtraTreesClassifier(n_estimators=2, max_depth=2)"),
        ("gradient_boosting", ensemble.GradientBoostingClassifier(**small_forest).fit(X, y),
         "GradientBoostingClassifier(n_estimators=2, max_depth=2)"),
        ("gradient_boosting_regressor", ensemble.GradientBoostingRegressor(**small_forest).fit(X, X[:, 0]),
         "GradientBoostingRegressor(n_estimators=2, max_depth=2)"),
        ("adaboost", ensemble.AdaBoostClassifier(n_estimators=2, random_state=0).fit(X, y),
         "AdaBoostClassifier(n_estimators=2)"),
        ("hist_gradient_boosting", ensemble.HistGradientBoostingClassifier(max_iter=3, random_state=0).fit(X, y),
         "HistGradientBoostingClassifier(max_iter=3)"),
        ("hist_gradient_boosting_regressor",
         ensemble.HistGradientBoostingRegressor(max_iter=3, random_state=0).fit(X, X[:, 0]),
         "HistGradientBoostingRegressor(max_iter=3)"),
        ("isolation_forest", ensemble.IsolationForest(n_estimators=2, random_state=0).fit(X),
         "IsolationForest(n_estimators=2)"),
        ("voting", ensemble.VotingClassifier([("lr", linear_model.LogisticRegression()),
                                              ("nb", naive_bayes.GaussianNB())], voting="soft").fit(X, y),
         "VotingClassifier(LogisticRegression, GaussianNB, voting='soft')"),
        ("stacking", ensemble.StackingClassifier([("dt", tree.DecisionTreeClassifier(max_depth=2, random_state=0)),
                                                  ("nb", naive_bayes.GaussianNB())],
                                                 final_estimator=linear_model.LogisticRegression(), cv=2).fit(X, y),
         "StackingClassifier(DecisionTree, GaussianNB -> LogisticRegression, cv=2)"),
        ("bagging", ensemble.BaggingClassifier(n_estimators=2, random_state=0).fit(X, y),
         "BaggingClassifier(n_estimators=2)"),
        ("knn", neighbors.KNeighborsClassifier(n_neighbors=3).fit(X, y), "KNeighborsClassifier(n_neighbors=3)"),
        ("knn_regressor", neighbors.KNeighborsRegressor(n_neighbors=3, algorithm="kd_tree").fit(X, X[:, 0]),
         "KNeighborsRegressor(algorithm='kd_tree') (sklearn.neighbors._kd_tree.KDTree)"),
        ("nearest_neighbors_balltree", neighbors.NearestNeighbors(algorithm="ball_tree").fit(X),
         "NearestNeighbors(algorithm='ball_tree') (sklearn.neighbors._ball_tree.BallTree)"),
        ("gaussian_nb", naive_bayes.GaussianNB().fit(X, y), "GaussianNB"),
        ("multinomial_nb", naive_bayes.MultinomialNB().fit(np.abs(X), y), "MultinomialNB"),
        ("bernoulli_nb", naive_bayes.BernoulliNB().fit(X, y), "BernoulliNB"),
        ("minibatch_kmeans", cluster.MiniBatchKMeans(n_clusters=2, n_init=3, random_state=0, batch_size=10).fit(X),
         "MiniBatchKMeans(n_clusters=2)"),
        ("dbscan", cluster.DBSCAN(eps=1.5).fit(X), "DBSCAN(eps=1.5)"),
        ("agglomerative", cluster.AgglomerativeClustering(n_clusters=2).fit(X), "AgglomerativeClustering"),
        ("pca", decomposition.PCA(n_components=2, random_state=0).fit(X), "PCA(n_components=2)"),
        ("truncated_svd", decomposition.TruncatedSVD(n_components=2, random_state=0).fit(X),
         "TruncatedSVD(n_components=2)"),
        ("standard_scaler", preprocessing.StandardScaler().fit(X), "StandardScaler"),
        ("minmax_scaler", preprocessing.MinMaxScaler().fit(X), "MinMaxScaler"),
        ("robust_scaler", preprocessing.RobustScaler().fit(X), "RobustScaler"),
        ("onehot_encoder", preprocessing.OneHotEncoder(handle_unknown="ignore").fit(frame[["size"]]),
         "OneHotEncoder on a pandas column"),
        ("ordinal_encoder", preprocessing.OrdinalEncoder().fit(frame[["size"]]), "OrdinalEncoder"),
        ("label_encoder", preprocessing.LabelEncoder().fit(["cat", "dog", "cat", "bird"]), "LabelEncoder"),
        ("polynomial_features", preprocessing.PolynomialFeatures(degree=2).fit(X), "PolynomialFeatures(degree=2)"),
        ("simple_imputer", impute.SimpleImputer(strategy="mean").fit(frame[["age"]]), "SimpleImputer"),
        ("function_transformer_log1p",
         preprocessing.FunctionTransformer(np.log1p, inverse_func=np.expm1).fit(np.abs(X)),
         "FunctionTransformer(numpy.log1p, inverse_func=numpy.expm1) (pickles the numpy ufuncs)"),
        ("column_transformer", pipeline.make_pipeline(column_transformer,
                                                      linear_model.LogisticRegression()).fit(frame, frame_y),
         "Pipeline(ColumnTransformer(SimpleImputer+StandardScaler, SimpleImputer+OneHotEncoder, OrdinalEncoder) "
         "-> LogisticRegression) fitted on a pandas DataFrame with NaN"),
        ("tfidf", pipeline.Pipeline([("tfidf", feature_extraction.text.TfidfVectorizer()),
                                     ("clf", linear_model.LogisticRegression())]).fit(texts, [0, 1, 1, 1, 0]),
         "Pipeline(TfidfVectorizer, LogisticRegression) on text"),
        ("count_vectorizer", feature_extraction.text.CountVectorizer(ngram_range=(1, 2)).fit(texts),
         "CountVectorizer(ngram_range=(1, 2))"),
        ("grid_search", model_selection.GridSearchCV(svm.SVC(), {"C": [0.1, 1.0], "kernel": ["linear", "rbf"]},
                                                     cv=2).fit(X, y),
         "GridSearchCV(SVC, C x kernel, cv=2) with cv_results_ (numpy masked arrays)"),
        ("mlp_classifier", neural_network.MLPClassifier(hidden_layer_sizes=(4,), max_iter=50,
                                                        random_state=0).fit(X, y),
         "MLPClassifier(hidden_layer_sizes=(4,), max_iter=50) (not converged)"),
        ("calibrated", calibration.CalibratedClassifierCV(svm.LinearSVC(random_state=0, max_iter=2000),
                                                          cv=2).fit(X, y),
         "CalibratedClassifierCV(LinearSVC, cv=2)"),
    ]


def gen_sklearn(sklearn, joblib):
    import warnings
    v = sklearn.__version__
    X, y, X3, y3 = _data()

    for stem, model, what in _first_models(X, y):
        pickle_all_protocols(stem, model, "scikit-learn", v, what, protocols=(4, 5))
        if joblib is not None:
            joblib_variants(joblib, stem, model, "scikit-learn %s" % v, what, JOBLIB_VARIANTS)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning and friends: the models are deliberately tiny
        estimators = _estimators(X, y, X3, y3)
    for stem, model, what in estimators:
        stem = "sklearn_" + stem
        what = "a fitted " + what
        pickle_all_protocols(stem, model, "scikit-learn", v, what)
        if joblib is not None:
            joblib_variants(joblib, stem, model, "scikit-learn %s" % v, what, JOBLIB_VARIANTS[:2])
