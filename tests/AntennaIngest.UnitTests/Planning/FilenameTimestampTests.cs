using System.Globalization;
using AntennaIngest.Core.Planning;

namespace AntennaIngest.UnitTests.Planning;

public sealed class FilenameTimestampTests
{
    // Expected values are Antenna's get_image_timestamp_from_filename (731cc2a2, CPython 3.11)
    // with its dateutil fallback disabled: the regex-and-strptime part this function reproduces.
    [Theory]
    [InlineData("20220810231507-00-07.jpg", "2022-08-10T23:15:07")]
    [InlineData("20230124191342.jpg", "2023-01-24T19:13:42")]
    [InlineData("20220622000459-108-snapshot.jpg", "2022-06-22T00:04:59")]
    [InlineData("84-20220916202959-snapshot.jpg", "2022-09-16T20:29:59")]
    [InlineData("Project_20230801023001_4393.JPG", "2023-08-01T02:30:01")]
    [InlineData("NSCF----_250927194802_0017.JPG", "2025-09-27T19:48:02")]
    [InlineData("deployments/trap-1/2022/20220810_231507.jpg", "2022-08-10T23:15:07")]
    [InlineData("2022-08-10_23-15-07.jpg", "2022-08-10T23:15:07")]
    [InlineData("2022-08-10 23:15:07.png", "2022-08-10T23:15:07")]
    [InlineData("2022_08_10__23_15_07.jpg", "2022-08-10T23:15:07")]
    [InlineData("img_20220810-231507.jpeg", "2022-08-10T23:15:07")]
    [InlineData("20221301000000.jpg", null)]
    [InlineData("20220230101010.jpg", null)]
    [InlineData("20220810236000.jpg", null)]
    [InlineData("20220810231560.jpg", null)]
    [InlineData("220810231507.jpg", "2022-08-10T23:15:07")]
    [InlineData("700101000000.jpg", "1970-01-01T00:00:00")]
    [InlineData("690101000000.jpg", "1969-01-01T00:00:00")]
    [InlineData("1220810231507.jpg", null)]
    [InlineData("a/b/c/", null)]
    [InlineData("", null)]
    [InlineData("photo.jpg", null)]
    [InlineData("DSC_1974.jpg", null)]
    [InlineData("2022-08-10.jpg", null)]
    [InlineData("20220810.jpg", null)]
    [InlineData("2022-08-10T23:15:07.jpg", "2022-08-10T23:15:07")]
    [InlineData("Aug 10 2022.jpg", null)]
    [InlineData("10.08.2022.jpg", null)]
    [InlineData("IMG_0001.JPG", null)]
    [InlineData("20220810231507", "2022-08-10T23:15:07")]
    [InlineData(".20220810231507", "2022-08-10T23:15:07")]
    [InlineData("x.20220810231507.tar.gz", "2022-08-10T23:15:07")]
    [InlineData("00000810231507.jpg", null)]
    [InlineData("20220810 231507 extra 20230101000000.jpg", "2022-08-10T23:15:07")]
    [InlineData("202208102315071.jpg", "2022-08-10T23:15:07")]
    [InlineData("2022081023150.jpg", null)]
    [InlineData("20220810--231507.jpg", "2022-08-10T23:15:07")]
    [InlineData("2022-8-10_23-15-07.jpg", null)]
    [InlineData("2022-08-10_231507.jpg", null)]
    [InlineData("2022a08b10cd23e15f07.jpg", "2022-08-10T23:15:07")]
    [InlineData("99991231235959.jpg", "9999-12-31T23:59:59")]
    [InlineData("20221031 9 1 1.jpg", null)]
    [InlineData("2022103191010.jpg", null)]
    [InlineData("s3://bucket/path/20230601020304.jpg", "2023-06-01T02:03:04")]
    [InlineData("dir.with.dots/20230601020304", "2023-06-01T02:03:04")]
    [InlineData("20230601020304.", "2023-06-01T02:03:04")]
    [InlineData("2023-06-01", null)]
    [InlineData("1234", null)]
    [InlineData("ab 2022 cd", null)]
    [InlineData("20220810T231507Z.jpg", "2022-08-10T23:15:07")]
    [InlineData("20220810231507_20230101000000.jpg", "2022-08-10T23:15:07")]
    [InlineData("12345678901234567890.jpg", null)]
    [InlineData("٢٠٢٢٠٨١٠٢٣١٥٠٧.jpg", null)]
    [InlineData("2022０8１0_231507.jpg", null)]
    [InlineData("2022-08-10\n23-15-07.jpg", "2022-08-10T23:15:07")]
    [InlineData("20220810_231507.123.jpg", "2022-08-10T23:15:07")]
    [InlineData("241231235959.jpg", "2024-12-31T23:59:59")]
    [InlineData("680101000000.jpg", "2068-01-01T00:00:00")]
    public void Parses_as_antennas_regex_and_strptime(string path, string? expected)
    {
        var parsed = FilenameTimestamp.Parse(path);
        Assert.Equal(expected, parsed?.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture));
    }

    // Names only dateutil.parser.parse(stem) accepts in Antenna (a documented difference).
    [Theory]
    [InlineData("2022-08-10.jpg")]
    [InlineData("20220810.jpg")]
    [InlineData("Aug 10 2022.jpg")]
    [InlineData("10.08.2022.jpg")]
    [InlineData("1234")]
    public void Leaves_dateutil_only_names_without_a_timestamp(string path) =>
        Assert.Null(FilenameTimestamp.Parse(path));
}
