"""LightGBM text models as Booster.save_model writes them (LightGBM is not packaged for Debian, so the text is built
here, line for line in the order of LightGBM's GBDT::SaveModelToString and Tree::ToString, v4 format):

    tree / version=v4 / num_class / num_tree_per_iteration / label_index / max_feature_idx / objective /
    feature_names / feature_infos / tree_sizes / (blank) / Tree=N blocks / end of trees / (blank) /
    feature_importances: / parameters: ... end of parameters / (blank) / pandas_categorical:<json>

tree_sizes holds each "Tree=N" block's length in bytes, which LightGBM uses to find the blocks."""

import json

from .common import record, write_text


def _num(x):
    """Doubles as LightGBM prints them: shortest round-trip text, integers without a fraction."""
    if isinstance(x, int):
        return str(x)
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


def _join(values):
    return " ".join(_num(v) for v in values)


def _tree(t):
    lines = ["num_leaves=%d" % len(t["leaf_value"]), "num_cat=%d" % t.get("num_cat", 0)]
    for key in ("split_feature", "split_gain", "threshold", "decision_type", "left_child", "right_child",
                "leaf_value", "leaf_weight", "leaf_count", "internal_value", "internal_weight", "internal_count"):
        lines.append("%s=%s" % (key, _join(t[key])))
    if t.get("num_cat", 0):
        lines.append("cat_boundaries=%s" % _join(t["cat_boundaries"]))
        lines.append("cat_threshold=%s" % _join(t["cat_threshold"]))
    lines.append("is_linear=0")
    lines.append("shrinkage=%s" % _num(t["shrinkage"]))
    return "\n".join(lines) + "\n\n"


def _three_leaf(feature, threshold, gain, leaves, counts, shrinkage, root_feature=None, root_threshold=None):
    """A tree with two splits: node 0 sends left to node 1 and right to leaf 0; node 1 splits into leaves 1 and 2.
    (Leaf k is written as child ~k = -(k + 1).)"""
    f0 = feature if root_feature is None else root_feature
    t0 = threshold if root_threshold is None else root_threshold
    total = sum(counts)
    return {"split_feature": [f0, feature], "split_gain": [gain, gain / 2], "threshold": [t0, threshold],
            "decision_type": [2, 2], "left_child": [1, -2], "right_child": [-1, -3],
            "leaf_value": leaves, "leaf_weight": [c * 0.25 for c in counts], "leaf_count": counts,
            "internal_value": [0, sum(leaves[1:]) / 2], "internal_weight": [total * 0.25, (total - counts[0]) * 0.25],
            "internal_count": [total, total - counts[0]], "shrinkage": shrinkage}


def _model_text(objective, num_class, features, infos, trees, params, pandas_categorical):
    per_iteration = num_class if num_class > 1 else 1
    blocks = ["Tree=%d\n%s\n" % (i, _tree(t)) for i, t in enumerate(trees)]
    head = ["tree", "version=v4", "num_class=%d" % num_class, "num_tree_per_iteration=%d" % per_iteration,
            "label_index=0", "max_feature_idx=%d" % (len(features) - 1), "objective=%s" % objective,
            "feature_names=%s" % " ".join(features), "feature_infos=%s" % " ".join(infos),
            "tree_sizes=%s" % " ".join(str(len(b.encode("utf-8"))) for b in blocks)]
    importance = {}
    for t in trees:
        for f, gain in zip(t["split_feature"], t["split_gain"]):
            if gain > 0:
                importance[features[f]] = importance.get(features[f], 0) + 1
    ranked = sorted(importance.items(), key=lambda kv: -kv[1])  # stable: ties keep first-seen order
    text = "\n".join(head) + "\n\n" + "".join(blocks) + "end of trees\n"
    text += "\nfeature_importances:\n" + "".join("%s=%d\n" % kv for kv in ranked)
    text += "\nparameters:\n" + "".join("[%s: %s]\n" % kv for kv in params) + "\nend of parameters\n"
    text += "\npandas_categorical:%s\n" % json.dumps(pandas_categorical)
    return text


def _params(objective, extra=()):
    base = [("boosting", "gbdt"), ("objective", objective), ("metric", ""), ("tree_learner", "serial"),
            ("device_type", "cpu"), ("data", ""), ("valid", ""), ("num_iterations", 2), ("learning_rate", 0.1),
            ("num_leaves", 3), ("num_threads", 1), ("deterministic", 0), ("force_col_wise", 0),
            ("force_row_wise", 0), ("histogram_pool_size", -1), ("max_depth", -1), ("min_data_in_leaf", 5),
            ("min_sum_hessian_in_leaf", 0.001), ("bagging_fraction", 1), ("bagging_freq", 0), ("bagging_seed", 3),
            ("feature_fraction", 1), ("feature_fraction_seed", 2), ("early_stopping_round", 0), ("lambda_l1", 0),
            ("lambda_l2", 0), ("min_gain_to_split", 0), ("seed", 0), ("linear_tree", 0), ("max_bin", 255),
            ("categorical_feature", ""), ("is_unbalance", 0), ("sigmoid", 1), ("boost_from_average", 1)]
    return base + list(extra)


def gen_lightgbm():
    features = ["f0", "f1", "f2", "f3"]
    infos = ["[-2.4:2.9]", "[-3.1:2.2]", "[-1.9:3.3]", "[-2.7:2.6]"]

    binary = _model_text(
        "binary sigmoid:1", 1, features, infos,
        [_three_leaf(1, 0.2345, 12.5, [0.12, -0.31, 0.08], [14, 13, 13], 1),
         _three_leaf(0, -0.5125, 6.25, [0.10, -0.22, 0.05], [12, 15, 13], 0.1, root_feature=2, root_threshold=1.25)],
        _params("binary"), None)
    write_text("lightgbm_binary.txt", binary)
    record("lightgbm_binary.txt", "generator",
           "LightGBM v4 text model (Booster.save_model): binary objective, 4 features, 2 trees of 3 leaves, "
           "feature importances, parameters, pandas_categorical:null")

    regression = _model_text(
        "regression", 1, ["Column_0", "Column_1", "Column_2", "Column_3"], infos,
        [_three_leaf(3, 0.75, 40.0, [1.5, 0.25, -0.75], [10, 15, 15], 1)],
        _params("regression", [("num_iterations", 1)]), None)
    write_text("lightgbm_regression.txt", regression)
    record("lightgbm_regression.txt", "generator",
           "LightGBM v4 text model: regression objective, default Column_N feature names, 1 tree")

    cat_tree = _three_leaf(1, 0.5, 9.0, [0.2, -0.1, 0.05], [20, 20, 20], 1)
    cat_tree.update({"num_cat": 1, "decision_type": [1, 2], "threshold": [0, 0.5],
                     "cat_boundaries": [0, 1], "cat_threshold": [5]})  # categories 0 and 2 go left
    multiclass = _model_text(
        "multiclass num_class:3", 3, ["colour", "size", "weight", "age"], ["0:1:2", "[-3.1:2.2]", "[0:9]", "none"],
        [cat_tree, _three_leaf(2, 4.5, 7.0, [0.3, -0.2, 0.1], [18, 21, 21], 1),
         _three_leaf(1, -1.5, 5.0, [-0.1, 0.2, 0.0], [25, 15, 20], 1)],
        _params("multiclass", [("num_class", 3), ("num_iterations", 1), ("categorical_feature", "0")]),
        [["blue", "green", "red"]])
    write_text("lightgbm_multiclass_categorical.txt", multiclass)
    record("lightgbm_multiclass_categorical.txt", "generator",
           "LightGBM v4 text model: multiclass (num_class=3, 3 trees per iteration), a categorical split "
           "(num_cat=1, cat_boundaries, cat_threshold bitset), an unused feature (feature_infos 'none') and "
           "pandas_categorical naming the categories of a pandas category column")
