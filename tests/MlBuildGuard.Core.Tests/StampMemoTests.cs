using MlBuildGuard.Core.IO;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests;

public sealed class StampMemoTests
{
    [Fact]
    public void A_fact_is_remembered_while_the_file_keeps_its_stamp_and_never_for_a_file_changed_just_now()
    {
        using var dir = new TempDirectory();
        var file = dir.Write("mlguard.lock.json", "{}");
        var memo = dir.Combine("obj", "memo");

        StampMemo.Write(memo, file, "none"); // written within the last two seconds: not trusted, not remembered
        Assert.Null(StampMemo.Read(memo, file));

        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddMinutes(-5));
        Thread.Sleep(TimeSpan.FromSeconds(2.2)); // the change time moved with the line above
        StampMemo.Write(memo, file, "none");
        Assert.Equal("none", StampMemo.Read(memo, file));

        File.AppendAllText(file, "\n");
        Assert.Null(StampMemo.Read(memo, file));
        File.WriteAllText(memo, "damaged");
        Assert.Null(StampMemo.Read(memo, file));
    }
}
