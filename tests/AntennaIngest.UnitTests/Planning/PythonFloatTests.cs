using AntennaIngest.Core.Contracts;
using AntennaIngest.Core.Planning;

namespace AntennaIngest.UnitTests.Planning;

public sealed class PythonFloatTests
{
    // Expected texts are CPython 3.11's repr() of the same bit patterns.
    [Theory]
    [InlineData(0x4024000000000000UL, "10.0")]
    [InlineData(0x3FB999999999999AUL, "0.1")]
    [InlineData(0x3EE4F8B588E368F1UL, "1e-05")]
    [InlineData(0x3F1A36E2EB1C432DUL, "0.0001")]
    [InlineData(0x4341C37937E08000UL, "1e+16")]
    [InlineData(0x430C6BF526340000UL, "1000000000000000.0")]
    [InlineData(0x405EDD2F1A9FBE77UL, "123.456")]
    [InlineData(0xBFE0000000000000UL, "-0.5")]
    [InlineData(0x3E8421F5F40D8376UL, "1.5e-07")]
    [InlineData(0x3FD3333333333334UL, "0.30000000000000004")]
    [InlineData(0x0000000000000001UL, "5e-324")]
    [InlineData(0x7FEFFFFFFFFFFFFFUL, "1.7976931348623157e+308")]
    [InlineData(0x4132D68700000000UL, "1234567.0")]
    [InlineData(0x8000000000000000UL, "-0.0")]
    [InlineData(0x4341C37937E07FFFUL, "9999999999999998.0")]
    [InlineData(0x43E56A95319D63E1UL, "1.2345678901234567e+19")]
    [InlineData(0x3EFA36E2EB1C432DUL, "2.5e-05")]
    [InlineData(0x4059000000000000UL, "100.0")]
    [InlineData(0x54B249AD2594C37DUL, "1e+100")]
    [InlineData(0x3F201F31F46ED246UL, "0.000123")]
    [InlineData(0x3FD5555555555555UL, "0.3333333333333333")]
    [InlineData(0x3FE5555555555555UL, "0.6666666666666666")]
    [InlineData(0x406B880000000000UL, "220.25")]
    [InlineData(0x3F1A36E2EB1C432CUL, "9.999999999999999e-05")]
    [InlineData(0x4480F0CF064DD592UL, "1e+22")]
    [InlineData(0x419D6F34547DF3B6UL, "123456789.123")]
    [InlineData(0x3D56C9A708AD0025UL, "3.2383276483316235e-13")]
    [InlineData(0x3DE4BB889123B488UL, "1.5084917392450194e-10")]
    [InlineData(0x3EA5D77C0B473258UL, "6.509344730398537e-07")]
    [InlineData(0x3F12FD1DEDDB0313UL, "7.243628666754277e-05")]
    [InlineData(0x3FE125F2046063A0UL, "0.5358820043066892")]
    [InlineData(0x4076DB05CDBD9375UL, "365.6889169125855")]
    [InlineData(0x40EC51DD97C1203DUL, "57998.92477470681")]
    [InlineData(0x41BE3EDAD5307DD9UL, "507435733.1894203")]
    [InlineData(0x422175D4AF93F842UL, "37495658441.98488")]
    [InlineData(0x42F8A6600EEDE31EUL, "433645683662385.9")]
    [InlineData(0x436F05A467799667UL, "6.9855423574618936e+16")]
    [InlineData(0x8D116ECE1738F7D9UL, "-9.973130378568733e-246")]
    [InlineData(0x0F21DDB66CAD4A26UL, "8.779753225680271e-236")]
    [InlineData(0x90C192CFD3AC94AFUL, "-5.795503248498993e-228")]
    [InlineData(0xF28C105D1FB17C23UL, "-5.988180159386011e+243")]
    [InlineData(0xA170B33839263059UL, "-1.306052388527796e-147")]
    [InlineData(0x953F48F1A09F76B5UL, "-2.436117699484841e-206")]
    [InlineData(0x0FD630F1F29D0DA9UL, "2.233386999150174e-232")]
    [InlineData(0x95E60AF593BD04CFUL, "-3.51527970626667e-203")]
    public void Repr_matches_python(ulong bits, string expected)
    {
        Assert.Equal(expected, PythonFloat.Repr(BitConverter.UInt64BitsToDouble(bits)));
    }

    [Fact]
    public void Non_finite_values_are_written_as_json_dumps_writes_them()
    {
        Assert.Equal("NaN", PythonFloat.Repr(double.NaN));
        Assert.Equal("Infinity", PythonFloat.Repr(double.PositiveInfinity));
        Assert.Equal("-Infinity", PythonFloat.Repr(double.NegativeInfinity));
    }

    [Fact]
    public void A_bbox_is_json_dumps_of_its_four_floats()
    {
        Assert.Equal("[10.0, 20.0, 110.5, 220.25]", BboxJson.Format(new BoundingBox(10, 20, 110.5, 220.25)));
        Assert.Equal("[0.1, 1e-05, 50.0, 60.0]", BboxJson.Format(new BoundingBox(0.1, 1e-05, 50, 60)));
        Assert.False(BboxJson.IsFinite(new BoundingBox(0, double.NaN, 1, 1)));
        Assert.True(BboxJson.IsFinite(new BoundingBox(-1, -2, 3, 4)));
    }
}
