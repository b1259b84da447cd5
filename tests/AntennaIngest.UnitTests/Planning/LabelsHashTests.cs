using AntennaIngest.Core.Planning;

namespace AntennaIngest.UnitTests.Planning;

public sealed class LabelsHashTests
{
    [Fact]
    public void The_hash_is_stable_non_negative_and_depends_on_the_joined_labels()
    {
        var hash = LabelsHash.Compute(["moth", "nonmoth"]);

        // SHA-256("mothnonmoth"), first 8 bytes big-endian, top bit cleared (computed with Python's hashlib).
        Assert.Equal(0x7309AF7405898AC2L, hash);
        Assert.Equal(hash, LabelsHash.Compute(["moth", "nonmoth"]));
        Assert.Equal(hash, LabelsHash.Compute(["mothnon", "moth"]));
        Assert.NotEqual(hash, LabelsHash.Compute(["nonmoth", "moth"]));

        // SHA-256("étéx" as UTF-8) starts with a byte ≥ 0x80: the cleared top bit is what keeps this
        // one non-negative, and UTF-8 (not UTF-16) is what gives this value (Python's hashlib).
        Assert.Equal(0x016264562C9D9619L, LabelsHash.Compute(["\u00e9t\u00e9", "x"]));
    }
}
