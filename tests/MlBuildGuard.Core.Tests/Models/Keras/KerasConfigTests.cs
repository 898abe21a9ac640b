using System.Text;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Models.Formats;
using MlBuildGuard.Core.Models.Formats.Keras;
using static MlBuildGuard.Core.Tests.Models.Keras.KerasTest;

namespace MlBuildGuard.Core.Tests.Models.Keras;

public class KerasConfigTests
{
    [Fact]
    public void A_keras3_configuration_of_builtin_layers_is_clean()
    {
        var context = ScanConfig(KerasConfigs.Keras3Clean);

        Clean(context);
        Assert.Contains(("model.keras!config.json", "keras-config"), context.Recognised);
    }

    [Fact]
    public void A_keras2_configuration_of_builtin_layers_is_clean() => Clean(ScanConfig(KerasConfigs.Keras2Clean));

    [Fact]
    public void A_keras2_lambda_with_marshalled_code_is_MLG306()
    {
        var context = ScanConfig(KerasConfigs.Keras2Lambda);

        var finding = Single(context, "MLG306");
        Assert.Single(context.Findings);
        Assert.Equal(Severity.Error, finding.Severity);
        Assert.Contains("model.keras!config.json: layer 'lambda_1' is a Lambda layer with marshalled Python code, which runs code when the model is loaded.", finding.Message);
    }

    [Fact]
    public void A_keras3_lambda_with_a_marshalled_function_is_one_MLG306()
    {
        var context = ScanConfig(KerasConfigs.Keras3Lambda);

        Assert.Single(context.Findings);
        Assert.Contains("layer 'evil' is a Lambda layer with marshalled Python code", Single(context, "MLG306").Message);
    }

    [Fact]
    public void A_lambda_that_names_a_function_says_which()
    {
        var context = ScanConfig(KerasConfigs.Wrap("""
            {"module": "keras.layers", "class_name": "Lambda", "config": {"name": "l", "function":
              {"module": "mypackage.ops", "class_name": "function", "config": "scale", "registered_name": "function"} } }
            """));

        // The Lambda is the finding; the custom module inside it is not reported again as MLG302.
        Assert.Single(context.Findings);
        Assert.Contains("layer 'l' is a Lambda layer that calls 'mypackage.ops.scale'", Single(context, "MLG306").Message);
    }

    [Fact]
    public void A_keras2_lambda_calling_a_dangerous_function_reports_the_module_too()
    {
        var context = ScanConfig(KerasConfigs.Wrap("""
            {"class_name": "Lambda", "config": {"name": "l", "function": "system", "function_type": "function", "module": "os"}}
            """));

        var messages = context.Findings.Select(f => f.Message).ToList();
        Assert.Equal(2, messages.Count);
        Assert.Contains(messages, m => m.Contains("layer 'l' is a Lambda layer that calls 'os.system'", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("layer 'l' names the module 'os' ('os.system')", StringComparison.Ordinal));
        Assert.All(context.Findings, f => Assert.Equal("MLG306", f.Code));
    }

    [Theory]
    [InlineData("os", "system")]
    [InlineData("posix", "system")]
    [InlineData("nt", "system")]
    [InlineData("subprocess", "Popen")]
    [InlineData("sys", "modules")]
    [InlineData("runpy", "_run_code")]
    [InlineData("importlib", "import_module")]
    [InlineData("socket", "socket")]
    [InlineData("shutil", "rmtree")]
    [InlineData("ctypes", "CDLL")]
    [InlineData("marshal", "loads")]
    [InlineData("pickle", "loads")]
    [InlineData("dill", "loads")]
    [InlineData("webbrowser", "open")]
    [InlineData("urllib.request", "urlopen")]
    [InlineData("requests", "get")]
    [InlineData("http.client", "HTTPSConnection")]
    [InlineData("code", "InteractiveInterpreter")]
    [InlineData("pydoc", "locate")]
    [InlineData("multiprocessing.util", "spawnv_passfds")]
    [InlineData("asyncio.unix_events", "_UnixSubprocessTransport")]
    [InlineData("OS", "system")]
    public void A_module_on_the_dangerous_list_is_MLG306(string module, string name)
    {
        var context = ScanConfig(KerasConfigs.Wrap($$$"""
            {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense_1", "units": 2,
              "activation": {"module": "{{{module}}}", "class_name": "function", "config": "{{{name}}}", "registered_name": "function"} } }
            """));

        var finding = Single(context, "MLG306");
        Assert.Single(context.Findings);
        Assert.Contains($"layer 'dense_1' names the module '{module}' ('{module}.{name}')", finding.Message);
    }

    [Theory]
    [InlineData("eval")]
    [InlineData("exec")]
    [InlineData("__import__")]
    [InlineData("open")]
    [InlineData("getattr")]
    public void A_dangerous_builtin_is_MLG306(string name)
    {
        var context = ScanConfig(KerasConfigs.Wrap($$$"""
            {"module": "keras.layers", "class_name": "Activation", "config": {"name": "a",
              "activation": {"module": "builtins", "class_name": "function", "config": "{{{name}}}", "registered_name": "function"} } }
            """));

        Assert.Contains($"layer 'a' names 'builtins.{name}'", Single(context, "MLG306").Message);
    }

    [Theory]
    [InlineData("relu")]
    [InlineData("softmax")]
    [InlineData("my_activation")]
    public void Other_builtins_are_keras_functions(string name) =>
        Clean(ScanConfig(KerasConfigs.Wrap($$$"""
            {"module": "keras.layers", "class_name": "Activation", "config": {"name": "a",
              "activation": {"module": "builtins", "class_name": "function", "config": "{{{name}}}", "registered_name": "function"} } }
            """)));

    [Theory]
    [InlineData("keras.utils", "get_file")]
    [InlineData("keras.src.utils.file_utils", "get_file")]
    [InlineData("keras.config", "enable_unsafe_deserialization")]
    [InlineData("tensorflow.io", "write_file")]
    [InlineData("tensorflow", "py_function")]
    [InlineData("tensorflow", "load_op_library")]
    [InlineData("numpy.testing._private.utils", "runstring")]
    [InlineData("torch", "load")]
    public void Gadgets_inside_allowed_namespaces_are_MLG306(string module, string name)
    {
        var context = ScanConfig(KerasConfigs.Wrap($$$"""
            {"module": "{{{module}}}", "class_name": "{{{name}}}", "config": {"name": "g"}, "registered_name": null}
            """));

        Assert.Contains($"layer 'g' names '{module}.{name}'", Single(context, "MLG306").Message);
    }

    [Fact]
    public void Fn_module_and_output_shape_module_are_module_references()
    {
        var context = ScanConfig(KerasConfigs.Wrap("""
            {"module": "keras.layers", "class_name": "Dense", "config": {"name": "d", "fn": "system", "fn_module": "posix",
              "output_shape": "shape_fn", "output_shape_module": "mypackage.shapes"}}
            """));

        Assert.Contains("layer 'd' names the module 'posix' ('posix.system')", Single(context, "MLG306").Message);
        Assert.Contains("it imports 'mypackage.shapes.shape_fn'", Single(context, "MLG302").Message);
    }

    [Fact]
    public void A_dotted_registered_name_on_the_dangerous_list_is_MLG306()
    {
        var context = ScanConfig(KerasConfigs.Wrap("""
            {"module": "keras.layers", "class_name": "Dense", "config": {"name": "d"}, "registered_name": "subprocess.check_output"}
            """));

        Assert.Contains("layer 'd' names the module 'subprocess.check_output'", Single(context, "MLG306").Message);
    }

    [Fact]
    public void A_custom_layer_is_MLG302_with_its_qualified_name()
    {
        var layer = """{"module": "mypackage.layers", "class_name": "MyLayer", "config": {"name": "mine"}, "registered_name": "Custom>MyLayer"}""";
        var context = ScanConfig(KerasConfigs.Wrap(layer + ", " + layer.Replace("mine", "mine_2", StringComparison.Ordinal)));

        // Two layers of the same class are one finding.
        var finding = Single(context, "MLG302");
        Assert.Single(context.Findings);
        Assert.Equal(Severity.Warning, finding.Severity);
        Assert.Contains("model.keras!config.json: it imports 'mypackage.layers.MyLayer', which is not on the allowlist", finding.Message);
    }

    [Fact]
    public void A_custom_layer_is_an_error_in_strict_mode()
    {
        var context = ScanConfig(KerasConfigs.Wrap("""{"module": "mypackage.layers", "class_name": "MyLayer", "config": {"name": "mine"}}"""), strict: true);

        Assert.Equal(Severity.Error, Single(context, "MLG302").Severity);
    }

    [Theory]
    [InlineData("mypackage.layers.MyLayer")]
    [InlineData("mypackage.layers.*")]
    public void An_allowed_global_accepts_a_custom_layer(string allowed) =>
        Clean(ScanConfig(KerasConfigs.Wrap("""{"module": "mypackage.layers", "class_name": "MyLayer", "config": {"name": "mine"}}"""), allowed: allowed));

    [Fact]
    public void An_allowed_global_never_accepts_a_dangerous_module()
    {
        var context = ScanConfig(KerasConfigs.Wrap("""{"module": "os", "class_name": "system", "config": {"name": "x"}}"""), allowed: "os.*");

        Single(context, "MLG306");
    }

    [Fact]
    public void A_custom_function_from_main_is_MLG302()
    {
        var context = ScanConfig(KerasConfigs.Wrap("""
            {"module": "keras.layers", "class_name": "Dense", "config": {"name": "d",
              "activation": {"module": "__main__", "class_name": "function", "config": "my_relu", "registered_name": "function"} } }
            """));

        Assert.Contains("'__main__.my_relu'", Single(context, "MLG302").Message);
    }

    [Fact]
    public void Tensorflow_hub_and_addons_are_not_builtin()
    {
        var context = ScanConfig(KerasConfigs.Wrap("""
            {"module": "tensorflow_hub.keras_layer", "class_name": "KerasLayer", "config": {"name": "hub", "handle": "https://example.invalid/m"}}
            """));

        Assert.Contains("'tensorflow_hub.keras_layer.KerasLayer'", Single(context, "MLG302").Message);
    }

    [Fact]
    public void A_torch_module_wrapper_is_MLG306()
    {
        var context = ScanConfig(KerasConfigs.Wrap("""
            {"module": "keras.layers", "class_name": "TorchModuleWrapper", "config": {"name": "torch_module_wrapper", "module": "gANjdG9yY2gKbm4K"}}
            """));

        Assert.Contains("layer 'torch_module_wrapper' is a TorchModuleWrapper", Single(context, "MLG306").Message);
    }

    [Fact]
    public void A_marshalled_function_outside_a_lambda_layer_is_MLG306()
    {
        var context = ScanConfig(KerasConfigs.Wrap("""
            {"module": "keras.layers", "class_name": "Dense", "config": {"name": "d",
              "activation": {"class_name": "__lambda__", "config": {"code": "4wEAAAAA", "defaults": null, "closure": null}}}}
            """));

        Assert.Contains("layer 'd' holds marshalled Python code", Single(context, "MLG306").Message);
    }

    [Theory]
    [InlineData("io.write_file")]
    [InlineData("io.read_file")]
    [InlineData("compat.v1.py_func")]
    [InlineData("numpy_function")]
    public void A_tf_op_lambda_calling_a_file_or_python_function_is_MLG306(string function)
    {
        var context = ScanConfig($$$"""
            {"class_name": "Functional", "config": {"name": "m", "layers": [
              {"class_name": "TFOpLambda", "config": {"name": "tf.op", "function": "{{{function}}}"}, "name": "tf.op", "inbound_nodes": []}]}}
            """);

        Assert.Contains($"layer 'tf.op' calls the TensorFlow function 'tf.{function}'", Single(context, "MLG306").Message);
    }

    [Fact]
    public void Key_order_and_duplicate_keys_do_not_hide_a_reference()
    {
        // Python's json keeps the last duplicate; every one is checked.
        var context = ScanConfig(KerasConfigs.Wrap("""
            {"config": {"name": "d", "activation": {"config": "system", "class_name": "function", "module": "keras.activations", "module": "os"}},
             "class_name": "Dense", "module": "keras.layers"}
            """));

        Assert.Contains("names the module 'os'", Single(context, "MLG306").Message);
    }

    [Fact]
    public void NaN_and_Infinity_are_accepted_like_python_does()
    {
        var context = ScanConfig("""
            {"class_name": "Sequential", "config": {"name": "s", "layers": [
              {"class_name": "Dense", "config": {"name": "d", "max": Infinity, "min": -Infinity, "x": NaN, "s": "NaN Infinity"}},
              {"class_name": "Lambda", "config": {"name": "lam", "function": ["AAAA", null, null], "function_type": "lambda", "v": [NaN,Infinity]}}]}}
            """);

        Assert.Contains("layer 'lam' is a Lambda layer with marshalled Python code", Single(context, "MLG306").Message);
        Assert.Single(context.Findings);
    }

    [Fact]
    public void Names_from_the_file_are_shown_without_control_characters()
    {
        var context = ScanConfig(KerasConfigs.Wrap("""
            {"class_name": "Lambda", "config": {"name": "x\nerror MLG000: fake\u202e", "function": ["AAAA"], "function_type": "lambda"}}
            """));

        var message = Single(context, "MLG306").Message;
        Assert.DoesNotContain('\n', message);
        Assert.DoesNotContain('\u202e', message);
        Assert.Contains("layer 'x\\u000aerror MLG000: fake\\u202e'", message);
    }

    [Fact]
    public void A_lone_surrogate_does_not_break_the_scan()
    {
        var context = ScanConfig(KerasConfigs.Wrap("""
            {"module": "os\ud800", "class_name": "Lambda", "config": {"name": "\udc00", "function": ["AAAA"], "function_type": "lambda", "\ud800_module": "x"}}
            """));

        Assert.Contains("layer '\\udc00' is a Lambda layer", Single(context, "MLG306").Message);
        Assert.Single(context.Findings);
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("{\"class_name\": \"Sequential\", ", "is not valid JSON")]
    [InlineData("{\"class_name\": \"Sequential\"} trailing", "is not valid JSON")]
    [InlineData("{'class_name': 'Sequential'}", "is not valid JSON")]
    [InlineData("{\"a\": 1,}", "is not valid JSON")]
    [InlineData("[1, 2, 3]", "is not a JSON object")]
    [InlineData("\"text\"", "is not a JSON object")]
    public void Malformed_json_is_MLG303(string json, string reason)
    {
        var context = ScanConfig(json);

        var finding = Single(context, "MLG303");
        Assert.Contains(reason, finding.Message);
        Assert.Contains("so it cannot be shown safe to load", finding.Message);
        Assert.Empty(context.Recognised);
    }

    [Fact]
    public void Invalid_utf8_is_MLG303()
    {
        var context = Context();
        KerasFormat.ScanConfig([.. "{\"class_name\": \""u8, 0xFF, 0xFE, .. "\"}"u8], "v", context);

        Assert.Contains("is not valid UTF-8", Single(context, "MLG303").Message);
    }

    [Theory]
    [InlineData(100_000, '{')]
    [InlineData(100_000, '[')]
    [InlineData(KerasFormat.MaxJsonDepth + 1, '[')]
    public void Deep_nesting_is_MLG303_without_crashing(int depth, char open)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < depth; i++)
        {
            builder.Append(open == '{' ? "{\"a\":" : "[");
        }

        builder.Append('1');
        builder.Append(open == '{' ? '}' : ']', depth);

        var context = ScanConfig(builder.ToString());

        Assert.Contains($"nests deeper than {KerasFormat.MaxJsonDepth} levels", Single(context, "MLG303").Message);
    }

    [Fact]
    public void Nesting_up_to_the_limit_is_read()
    {
        var json = "{\"l\":" + new string('[', KerasFormat.MaxJsonDepth - 3) + "{\"class_name\": \"Lambda\", \"config\": {}}" +
                   new string(']', KerasFormat.MaxJsonDepth - 3) + "}";

        Single(ScanConfig(json), "MLG306");
    }

    [Fact]
    public void A_configuration_over_the_header_limit_is_MLG307()
    {
        var context = Context(maxHeaderBytes: 100);
        KerasFormat.ScanConfig(Encoding.UTF8.GetBytes(KerasConfigs.Keras2Lambda), "v", context);

        var finding = Single(context, "MLG307");
        Assert.Single(context.Findings);
        Assert.Contains("(limit 100)", finding.Message);
    }

    [Fact]
    public void A_utf8_bom_is_skipped() =>
        Clean(ScanConfig("\uFEFF" + KerasConfigs.Keras2Clean));
}
