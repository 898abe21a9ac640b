"""XGBoost: the scikit-learn wrappers pickled and joblib-dumped, and the models saved with save_model as JSON and
UBJSON (the formats XGBoost itself loads), plus a native Booster's JSON and UBJSON and its configuration JSON."""

from .common import out, pickle_all_protocols, record, version_label
from .sklearn_files import JOBLIB_VARIANTS, joblib_variants


def gen_xgboost(xgb, joblib):
    import numpy as np
    from sklearn.datasets import make_classification
    v = version_label(xgb.__version__, "python3-xgboost")
    X, y = make_classification(n_samples=40, n_features=4, n_informative=3, n_redundant=0, random_state=0)
    small = dict(n_estimators=2, max_depth=2, random_state=0, n_jobs=1)

    clf = xgb.XGBClassifier(**small).fit(X, y)
    reg = xgb.XGBRegressor(**small).fit(X, X[:, 0])
    for stem, model, what in (("xgboost_classifier", clf, "a fitted XGBClassifier(n_estimators=2, max_depth=2)"),
                              ("xgboost_regressor", reg, "a fitted XGBRegressor(n_estimators=2, max_depth=2)")):
        pickle_all_protocols(stem, model, "xgboost", v, what + " (the Booster pickles as a bytearray of its model)",
                             protocols=(2, 5))
        if joblib is not None:
            joblib_variants(joblib, stem, model, "xgboost %s" % v, what, JOBLIB_VARIANTS[:2])
        for ext, fmt in (("json", "JSON"), ("ubj", "UBJSON")):
            name = "%s.%s" % (stem, ext)
            model.save_model(out(name))
            record(name, "xgboost", v, "%s.save_model('model.%s') (%s model format)"
                   % (type(model).__name__, ext, fmt))

    dtrain = xgb.DMatrix(X, label=y, feature_names=["f_a", "f_b", "f_c", "f_d"])
    booster = xgb.train({"objective": "multi:softprob", "num_class": 2, "max_depth": 2, "seed": 0, "nthread": 1},
                        dtrain, num_boost_round=2)
    for ext, fmt in (("json", "JSON"), ("ubj", "UBJSON")):
        name = "xgboost_booster.%s" % ext
        booster.save_model(out(name))
        record(name, "xgboost", v, "Booster.save_model('model.%s') of xgb.train(multi:softprob, 2 rounds) with "
                                   "feature names (%s model format)" % (ext, fmt))
    with open(out("xgboost_booster_config.json"), "w", encoding="utf-8") as f:
        f.write(booster.save_config())
    record("xgboost_booster_config.json", "xgboost", v, "Booster.save_config() written to a file (the training "
                                                        "configuration JSON that travels with a model)")
    with open(out("xgboost_booster_raw.json"), "wb") as f:
        f.write(bytes(booster.save_raw(raw_format="json")))
    record("xgboost_booster_raw.json", "xgboost", v, "bytes(Booster.save_raw(raw_format='json')) written to a file")
    with open(out("xgboost_booster_raw.ubj"), "wb") as f:
        f.write(bytes(booster.save_raw(raw_format="ubj")))
    record("xgboost_booster_raw.ubj", "xgboost", v, "bytes(Booster.save_raw(raw_format='ubj')) written to a file")
    _ = np  # numpy is imported for xgboost's own use of it
