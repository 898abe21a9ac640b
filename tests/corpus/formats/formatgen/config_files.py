"""Plain configuration files that travel with models, written by the real YAML library (python3-yaml):
a training configuration as yaml.safe_dump writes it, and an MLflow-style MLmodel file."""

import yaml

from .common import record, write_text


def gen_configs():
    training = {"model": {"name": "resnet18", "num_classes": 10, "pretrained": False},
                "optimizer": {"name": "adamw", "lr": 0.001, "weight_decay": 0.01, "betas": [0.9, 0.999]},
                "scheduler": {"name": "cosine", "t_max": 50}, "data": {"train": "data/train.csv", "batch_size": 32},
                "seed": 0, "epochs": 50, "amp": True}
    write_text("training_config.yaml", yaml.safe_dump(training, sort_keys=False))
    record("training_config.yaml", "library", "YAML training configuration written by yaml.safe_dump (PyYAML %s)"
           % yaml.__version__)
    mlmodel = {"artifact_path": "model",
               "flavors": {"python_function": {"env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
                                               "loader_module": "mlflow.sklearn", "model_path": "model.pkl",
                                               "predict_fn": "predict", "python_version": "3.11.2"},
                           "sklearn": {"code": None, "pickled_model": "model.pkl", "serialization_format":
                                       "cloudpickle", "sklearn_version": "1.2.1"}},
               "mlflow_version": "2.9.2", "model_uuid": "0f0e0d0c0b0a09080706050403020100",
               "utc_time_created": "2024-01-01 00:00:00.000000"}
    write_text("MLmodel", yaml.safe_dump(mlmodel, default_flow_style=False))
    record("MLmodel", "library", "MLflow-style MLmodel descriptor (YAML, written by yaml.safe_dump, PyYAML %s); it "
                                 "names a pickled model but holds none" % yaml.__version__)
