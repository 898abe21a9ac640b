using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Secrets.PersonalData;

namespace MlBuildGuard.Core.Tests.Secrets;

/// <summary>MLG802: value validators, and the per-column aggregation that a tabular reader feeds.</summary>
public sealed class PiiTests
{
    [Theory]
    [InlineData("jane.doe@example.com", PiiKind.Email)]
    [InlineData("a+tag@mail.example.co.uk", PiiKind.Email)]
    [InlineData("+14155550123", PiiKind.Phone)]
    [InlineData("+44 20 7946 0958", PiiKind.Phone)]
    [InlineData("(415) 555-0123", PiiKind.Phone)]
    [InlineData("030-123 4567", PiiKind.Phone)]
    [InlineData("415.555.0123", PiiKind.Phone)]
    [InlineData("+31.205550100", PiiKind.Phone)]
    [InlineData("4111 1111 1111 1111", PiiKind.PaymentCard)]
    [InlineData("5555-5555-5555-4444", PiiKind.PaymentCard)]
    [InlineData("378282246310005", PiiKind.PaymentCard)]
    [InlineData("6011111111111117", PiiKind.PaymentCard)]
    [InlineData("GB82 WEST 1234 5698 7654 32", PiiKind.Iban)]
    [InlineData("DE89370400440532013000", PiiKind.Iban)]
    [InlineData("NL91ABNA0417164300", PiiKind.Iban)]
    [InlineData("123-45-6789", PiiKind.UsSsn)]
    [InlineData("AB 12 34 56 C", PiiKind.UkNino)]
    [InlineData("QQ123456C", null)] // Q is not a valid first letter
    [InlineData("111222333", PiiKind.NlBsn)]
    [InlineData("12345678Z", PiiKind.EsDni)]
    [InlineData("X1234567L", PiiKind.EsDni)]
    public void Values_are_classified_by_their_structure(string value, PiiKind? kind)
    {
        Assert.Equal(kind, PiiValidators.Classify(value));
    }

    [Theory]
    [InlineData("12345")]
    [InlineData("1234567")]           // a bare integer is never a phone number
    [InlineData("4111111111111112")]  // Luhn fails
    [InlineData("1234567812345670")]  // Luhn passes, but no issuer starts with 1
    [InlineData("2024-01-05")]        // a date
    [InlineData("05/01/2024")]
    [InlineData("192.168.10.20")]     // an IPv4 address
    [InlineData("3.14159")]
    [InlineData("0.056508")]          // a float feature with seven digits is not a phone number
    [InlineData("12345.678901")]
    [InlineData("0.12 0.34 0.56")]    // a vector in one cell
    [InlineData("GB82 WEST 1234 5698 7654 33")] // mod-97 fails
    [InlineData("DE8937040044053201300")]       // wrong length for DE
    [InlineData("000-12-3456")]       // area 000
    [InlineData("666-12-3456")]
    [InlineData("923-12-3456")]
    [InlineData("123-00-6789")]
    [InlineData("078-05-1120")]       // the advertised sample number
    [InlineData("123456789")]         // fails the BSN 11-test
    [InlineData("12345678A")]         // wrong DNI letter
    [InlineData("not an email@")]
    [InlineData("user@localhost")]
    [InlineData("3fa85f64-5717-4562-b3fc-2c963f66afa6")]
    [InlineData("")]
    public void Ids_amounts_dates_and_near_misses_are_not_personal_data(string value)
    {
        Assert.Null(PiiValidators.Classify(value));
    }

    [Theory]
    [InlineData("\u0661\u0662\u0663-45-6789")]    // Arabic-Indic digits in the SSN shape: not an SSN, and no FormatException
    [InlineData("123-\u0664\u0665-6789")]
    [InlineData("AB \u0661\u0662 34 56 C")]   // nor a NINO
    [InlineData("\uFF14111 1111 1111 1111")]  // a full-width digit
    [InlineData("D E89370400440532013000")]    // a space inside the country code and check digits
    public void Digits_are_ASCII_digits(string value)
    {
        Assert.Null(PiiValidators.Classify(value));
    }

    [Theory]
    [InlineData("ab123456c", PiiKind.UkNino)]
    [InlineData("gb82 west 1234 5698 7654 32", PiiKind.Iban)]
    [InlineData("219-09-9999", null)]
    [InlineData("123-45-0000", null)]
    [InlineData("GB12345678C", null)] // the prefix GB is never issued
    [InlineData("NO9386011117947", PiiKind.Iban)] // the shortest IBAN
    [InlineData("NO93 8601 1117 947", PiiKind.Iban)]
    [InlineData("NO93860111179470", null)] // one digit too many for NO
    public void Letters_may_be_lower_case_and_the_exclusions_hold(string value, PiiKind? kind)
    {
        Assert.Equal(kind, PiiValidators.Classify(value));
    }

    /// <summary>
    /// The per-cell dispatch tries only the kinds a value's characters allow: it must name the first kind of
    /// <see cref="PiiValidators.Order"/> whose validator accepts the value, for valid values of every kind, their near
    /// misses (a digit or letter changed, separators moved) and cells of every other shape.
    /// </summary>
    [Fact]
    public void Classify_names_the_first_kind_in_order_whose_validator_accepts_the_value()
    {
        var random = new Random(14);
        string[] seeds =
        [
            "jane.doe@example.com", "+44 20 7946 0958", "(415) 555-0123", "4111 1111 1111 1111", "378282246310005",
            "GB82 WEST 1234 5698 7654 32", "NL91ABNA0417164300", "123-45-6789", "AB 12 34 56 C", "111222333", "12345678Z",
            "X1234567L", "0.056508", "2024-01-05", "192.168.10.20", "3fa85f64-5717-4562-b3fc-2c963f66afa6", "12345",
            "model request review", "7fbc6b18c6ff7963ab14acdb4a89c453", "MRpervcB7eOMb+Xsrte6B8HSPyEuwUxR", "a@b", "+1234567",
        ];
        const string alphabet = "0123456789 -.()+@abcXYZ";
        var values = new List<string>(seeds);
        for (var i = 0; i < 20_000; i++)
        {
            var chars = seeds[random.Next(seeds.Length)].ToCharArray();
            for (var edits = random.Next(1, 3); edits > 0; edits--)
            {
                chars[random.Next(chars.Length)] = alphabet[random.Next(alphabet.Length)];
            }

            values.Add(new string(chars));
            values.Add(new string(Enumerable.Range(0, random.Next(1, 70)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray()));
        }

        var kinds = new HashSet<PiiKind>();
        foreach (var value in values)
        {
            var trimmed = value.AsSpan().Trim();
            PiiKind? expected = trimmed.IsEmpty || trimmed.Length > PiiValidators.MaxValueLength ? null
                : PiiValidators.Order.Where(k => PiiValidators.Is(k, value.Trim())).Cast<PiiKind?>().FirstOrDefault();
            Assert.True(expected == PiiValidators.Classify(value), $"'{value}': expected {expected}, got {PiiValidators.Classify(value)}");
            if (expected is { } kind)
            {
                kinds.Add(kind);
            }
        }

        Assert.Equal(Enum.GetValues<PiiKind>().Length, kinds.Count); // every kind was among the values
    }

    [Fact]
    public void A_column_is_reported_when_its_share_reaches_the_threshold_and_ids_columns_are_not()
    {
        var scanner = new PiiColumnScanner();
        var random = new Random(3);
        for (var i = 0; i < 1000; i++)
        {
            scanner.Observe("email", i % 10 == 0 ? "" : $"user{i}@example.org");
            scanner.Observe("id", random.NextInt64(4_000_000_000_000_000, 4_999_999_999_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture));
            scanner.Observe("bsn_like", random.Next(100_000_000, 999_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture));
            scanner.Observe("notes", i < 150 ? "+1 415 555 0199" : "fine");
            scanner.Observe("contact", i % 2 == 0 ? "+31 20 555 0100" : "x@example.org");
        }

        var results = scanner.Results();

        Assert.Equal([("email", PiiKind.Email, 900L, 900L), ("contact", PiiKind.Email, 500L, 1000L), ("contact", PiiKind.Phone, 500L, 1000L)],
            results.Select(r => (r.Column, r.Kind, r.Count, r.NonEmpty)));
        Assert.Equal(["email", "phone"], scanner.KindsFound());
    }

    [Fact]
    public void Float_feature_columns_are_not_personal_data()
    {
        // A score column printed with six or more decimals once counted as phone numbers (digits, a '.' separator) in
        // 100 % of its values: an MLG802 error on ordinary training data.
        var scanner = new PiiColumnScanner();
        var random = new Random(7);
        for (var i = 0; i < 1000; i++)
        {
            scanner.Observe("score", random.NextDouble().ToString("F6", System.Globalization.CultureInfo.InvariantCulture));
            scanner.Observe("loss", (random.NextDouble() * 1000).ToString("F7", System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.Empty(scanner.Results());
    }

    [Fact]
    public void A_reader_feeds_cells_by_index_and_ragged_cells_count_under_their_number()
    {
        var scanner = new PiiColumnScanner();
        var sink = new PiiTableSink(scanner);
        sink.Columns(["name", "contact", "contact"], line: 1); // a repeated header name shares its counts
        for (var row = 0; row < 4; row++)
        {
            sink.Cell(0, "Jane", 1);
            sink.Cell(1, "jane@example.org", 6);
            sink.Cell(2, row < 2 ? "+31 20 555 0100" : "", 23);
            if (row == 3)
            {
                sink.Cell(5, "jane@example.org", 40); // a ragged row, beyond the named columns
            }
        }

        Assert.Equal([("contact", PiiKind.Email, 4L, 6L), ("contact", PiiKind.Phone, 2L, 6L), ("6", PiiKind.Email, 1L, 1L)],
            scanner.Results().Select(r => (r.Column, r.Kind, r.Count, r.NonEmpty)));
    }

    [Fact]
    public void Findings_name_file_column_kind_and_count_never_values_and_allow_makes_them_warnings()
    {
        var scanner = new PiiColumnScanner();
        scanner.Observe("card", "4111 1111 1111 1111");
        scanner.Observe("card", "5555555555554444");
        scanner.Observe("card", "n/a");

        var denied = Assert.Single(scanner.Findings("data/train.csv", allowed: false, c => new SourceLocation("data/train.csv", 1, 3)));
        var allowed = Assert.Single(scanner.Findings("data/train.csv", allowed: true));

        Assert.Equal(("MLG802", Severity.Error), (denied.Code, denied.Severity));
        Assert.Equal(Severity.Warning, allowed.Severity);
        Assert.Equal(new SourceLocation("data/train.csv", 1, 3), denied.Location);
        Assert.Contains("'data/train.csv' column 'card' holds payment card numbers in 2 of its 3 non-empty values (67%)", denied.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("4111", denied.Message, StringComparison.Ordinal);
        Assert.Empty(new PiiColumnScanner().Findings("x.csv", allowed: false));
    }

    [Fact]
    public void The_threshold_is_configurable_and_checked()
    {
        var strict = new PiiColumnScanner(minShare: 0.05);
        for (var i = 0; i < 100; i++)
        {
            strict.Observe("notes", i < 6 ? "someone@example.org" : "text");
        }

        Assert.Single(strict.Results());
        Assert.Throws<ArgumentOutOfRangeException>(() => new PiiColumnScanner(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PiiColumnScanner(1.5));
    }
}
