namespace MlBuildGuard.Core.Dependencies;

/// <summary>
/// Popular packages of the .NET and ML ecosystems whose names are worth imitating. A package one or two edits away from
/// one of these (and not itself on the list, nor vouched for with <c>MlGuardKnownPackage</c>) is reported as a possible
/// typosquat (MLG108). Families are listed whole, so that legitimate siblings (NuGet.Common / NuGet.Commands) never
/// flag each other.
/// </summary>
public static class WellKnownPackages
{
    public static IReadOnlyList<string> Ids { get; } =
    [
        // ML and numerics
        "Microsoft.ML", "Microsoft.ML.Data", "Microsoft.ML.DataView", "Microsoft.ML.CpuMath", "Microsoft.ML.FastTree",
        "Microsoft.ML.LightGbm", "Microsoft.ML.AutoML", "Microsoft.ML.Vision", "Microsoft.ML.ImageAnalytics",
        "Microsoft.ML.TensorFlow", "Microsoft.ML.TorchSharp", "Microsoft.ML.Tokenizers", "Microsoft.ML.OnnxRuntime",
        "Microsoft.ML.OnnxRuntime.Gpu", "Microsoft.ML.OnnxRuntime.Managed", "Microsoft.ML.OnnxTransformer",
        "Microsoft.ML.Recommender", "Microsoft.ML.TimeSeries", "Microsoft.ML.Mkl.Components", "Microsoft.ML.Mkl.Redist",
        "Microsoft.ML.Probabilistic", "Microsoft.ML.GenAI.Core", "Microsoft.Data.Analysis", "Microsoft.Extensions.AI",
        "Microsoft.SemanticKernel", "Microsoft.SemanticKernel.Core", "OpenAI", "Azure.AI.OpenAI", "Azure.AI.Inference",
        "TorchSharp", "TorchSharp-cpu", "TorchSharp-cuda-linux", "TorchSharp-cuda-windows", "libtorch-cpu",
        "TensorFlow.NET", "TensorFlow.Keras", "SciSharp.TensorFlow.Redist", "NumSharp", "MathNet.Numerics",
        "System.Numerics.Tensors", "Apache.Arrow", "ParquetSharp", "Parquet.Net", "CsvHelper", "Accord.MachineLearning",
        "LLamaSharp", "OllamaSharp", "Tokenizers.DotNet", "SixLabors.ImageSharp", "SkiaSharp", "OpenCvSharp4",
        "Emgu.CV", "Microsoft.Extensions.AI.Abstractions", "Microsoft.Extensions.ML",
        // core libraries
        "Newtonsoft.Json", "System.Text.Json", "System.Memory", "System.Buffers", "System.CommandLine",
        "System.Collections.Immutable", "System.Security.Cryptography.Pkcs", "System.Text.Encodings.Web",
        "BouncyCastle.Cryptography", "Portable.BouncyCastle", "Google.Protobuf", "protobuf-net", "MessagePack",
        "Grpc.Net.Client", "Grpc.Core", "Polly", "Dapper", "AutoMapper", "MediatR", "FluentValidation", "Serilog",
        "NLog", "log4net", "Npgsql", "StackExchange.Redis", "Microsoft.Data.SqlClient", "Microsoft.EntityFrameworkCore",
        "Microsoft.Extensions.Logging", "Microsoft.Extensions.Hosting", "Microsoft.Extensions.Configuration",
        "Microsoft.Extensions.DependencyInjection", "Microsoft.Extensions.Http", "Microsoft.Extensions.Options",
        "Microsoft.Extensions.Primitives", "Azure.Identity", "Azure.Core", "Azure.Storage.Blobs", "AWSSDK.Core",
        "AWSSDK.S3", "Google.Cloud.Storage.V1",
        // build and tooling
        "NuGet.Common", "NuGet.Commands", "NuGet.Configuration", "NuGet.Credentials", "NuGet.DependencyResolver.Core",
        "NuGet.Frameworks", "NuGet.LibraryModel", "NuGet.Packaging", "NuGet.ProjectModel", "NuGet.Protocol",
        "NuGet.Resolver", "NuGet.Versioning", "Microsoft.Build", "Microsoft.Build.Framework", "Microsoft.Build.Tasks.Core",
        "Microsoft.Build.Utilities.Core", "Microsoft.SourceLink.GitHub", "Microsoft.SourceLink.GitLab",
        "Microsoft.SourceLink.AzureRepos.Git", "Microsoft.SourceLink.Bitbucket.Git", "Microsoft.SourceLink.Gitea", "Nerdbank.GitVersioning", "MinVer",
        "MlBuildGuard", "MlBuildGuard.Tool", "CycloneDX.Core",
        // tests
        "xunit", "xunit.core", "xunit.assert", "xunit.runner.visualstudio", "NUnit", "NUnit3TestAdapter",
        "MSTest.TestFramework", "MSTest.TestAdapter", "Microsoft.NET.Test.Sdk", "Moq", "NSubstitute",
        "FluentAssertions", "Shouldly", "coverlet.collector", "BenchmarkDotNet",
    ];
}
