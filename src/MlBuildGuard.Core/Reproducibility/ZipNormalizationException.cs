namespace MlBuildGuard.Core.Reproducibility;

/// <summary>
/// A zip archive that cannot be read, or cannot be rewritten without changing what it means (encrypted, ZIP64, ambiguous
/// names, a compression method other than stored or deflate). <see cref="ZipNormalizer"/> turns it into a
/// <see cref="ZipNormalizationOutcome.Refused"/> result; <see cref="ZipEntryDigests.Read"/> lets it through, so callers
/// catch one type instead of the several that System.IO.Compression throws for damaged archives.
/// </summary>
public sealed class ZipNormalizationException(string message, Exception? innerException = null) : Exception(message, innerException);
