"""PMML 4.4 documents (XML in the http://www.dmg.org/PMML-4_4 namespace), written with xml.etree: a RegressionModel
and a classification TreeModel, each with Header, DataDictionary and MiningSchema as PMML 4.4 requires."""

import xml.etree.ElementTree as ET

from .common import record, write_bytes

NS = "http://www.dmg.org/PMML-4_4"


def _doc(description, fields):
    ET.register_namespace("", NS)
    root = ET.Element("{%s}PMML" % NS, {"version": "4.4"})
    header = ET.SubElement(root, "{%s}Header" % NS, {"copyright": "MlBuildGuard test corpus",
                                                      "description": description})
    ET.SubElement(header, "{%s}Application" % NS, {"name": "MlBuildGuard make_formats.py", "version": "1.0"})
    ET.SubElement(header, "{%s}Timestamp" % NS).text = "2024-01-01T00:00:00"
    dictionary = ET.SubElement(root, "{%s}DataDictionary" % NS, {"numberOfFields": str(len(fields))})
    for name, optype, dtype, values in fields:
        field = ET.SubElement(dictionary, "{%s}DataField" % NS, {"name": name, "optype": optype, "dataType": dtype})
        for v in values:
            ET.SubElement(field, "{%s}Value" % NS, {"value": v})
    return root


def _mining_schema(model, fields, target):
    schema = ET.SubElement(model, "{%s}MiningSchema" % NS)
    for name, *_ in fields:
        attrs = {"name": name}
        if name == target:
            attrs["usageType"] = "target"
        ET.SubElement(schema, "{%s}MiningField" % NS, attrs)


def _serialize(root):
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def gen_pmml():
    fields = [("x1", "continuous", "double", ()), ("x2", "continuous", "double", ()),
              ("y", "continuous", "double", ())]
    root = _doc("linear regression", fields)
    model = ET.SubElement(root, "{%s}RegressionModel" % NS, {"modelName": "linear", "functionName": "regression",
                                                              "algorithmName": "least squares"})
    _mining_schema(model, fields, "y")
    table = ET.SubElement(model, "{%s}RegressionTable" % NS, {"intercept": "0.1"})
    for name, coef in (("x1", "0.5"), ("x2", "-1.25")):
        ET.SubElement(table, "{%s}NumericPredictor" % NS, {"name": name, "exponent": "1", "coefficient": coef})
    write_bytes("pmml_regression.pmml", _serialize(root))
    record("pmml_regression.pmml", "generator", "PMML 4.4 RegressionModel (2 numeric predictors, intercept)")

    fields = [("petal_length", "continuous", "double", ()), ("petal_width", "continuous", "double", ()),
              ("species", "categorical", "string", ("setosa", "versicolor", "virginica"))]
    root = _doc("decision tree", fields)
    model = ET.SubElement(root, "{%s}TreeModel" % NS, {"modelName": "tree", "functionName": "classification",
                                                        "splitCharacteristic": "binarySplit",
                                                        "missingValueStrategy": "none"})
    _mining_schema(model, fields, "species")
    output = ET.SubElement(model, "{%s}Output" % NS)
    for cls in ("setosa", "versicolor", "virginica"):
        ET.SubElement(output, "{%s}OutputField" % NS, {"name": "probability(%s)" % cls, "optype": "continuous",
                                                      "dataType": "double", "feature": "probability",
                                                      "value": cls})

    def node(parent, node_id, score, count, predicate, distribution):
        n = ET.SubElement(parent, "{%s}Node" % NS, {"id": node_id, "score": score, "recordCount": str(count)})
        if predicate is None:
            ET.SubElement(n, "{%s}True" % NS)
        else:
            ET.SubElement(n, "{%s}SimplePredicate" % NS, {"field": predicate[0], "operator": predicate[1],
                                                          "value": predicate[2]})
        for cls, c in zip(("setosa", "versicolor", "virginica"), distribution):
            ET.SubElement(n, "{%s}ScoreDistribution" % NS, {"value": cls, "recordCount": str(c)})
        return n

    top = node(model, "1", "setosa", 150, None, (50, 50, 50))
    node(top, "2", "setosa", 50, ("petal_length", "lessOrEqual", "2.45"), (50, 0, 0))
    right = node(top, "3", "versicolor", 100, ("petal_length", "greaterThan", "2.45"), (0, 50, 50))
    node(right, "4", "versicolor", 54, ("petal_width", "lessOrEqual", "1.75"), (0, 49, 5))
    node(right, "5", "virginica", 46, ("petal_width", "greaterThan", "1.75"), (0, 1, 45))
    write_bytes("pmml_tree.pmml", _serialize(root))
    record("pmml_tree.pmml", "generator",
           "PMML 4.4 TreeModel (classification, binary splits with SimplePredicate, ScoreDistribution, Output fields)")
