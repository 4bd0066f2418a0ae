//! Table tests for id numbers, masking, emails, postcodes and the PIN policy.

use hims_domain::identity::{
    mask_id, mask_name, normalize_email, normalize_mykad, normalize_passport, valid_email,
    valid_postcode,
};
use hims_domain::pin_policy::{self, PinRule};

#[test]
fn mykad_numbers() {
    let cases: &[(&str, Result<&str, &str>)] = &[
        ("900101-14-5678", Ok("900101-14-5678")),
        ("900101145678", Ok("900101-14-5678")),
        ("  900101-14-5678 ", Ok("900101-14-5678")),
        ("000229-01-0001", Ok("000229-01-0001")), // 2000 was a leap year
        ("040229-10-1234", Ok("040229-10-1234")),
        ("991231-99-9999", Ok("991231-99-9999")),
        ("850615-71-0001", Ok("850615-71-0001")),
        ("850615-82-0001", Ok("850615-82-0001")),
        ("90010114567", Err("mykad_format")),
        ("9001011456789", Err("mykad_format")),
        ("900101-145678", Err("mykad_format")),
        ("90-0101-14-5678", Err("mykad_format")),
        ("900101 14 5678", Err("mykad_format")),
        ("90010a-14-5678", Err("mykad_format")),
        ("９００１０１１４５６７８", Err("mykad_format")),
        ("", Err("mykad_format")),
        ("901301-14-5678", Err("mykad_date")),
        ("900132-14-5678", Err("mykad_date")),
        ("900001-14-5678", Err("mykad_date")),
        ("010229-14-5678", Err("mykad_date")), // neither 1901 nor 2001 is a leap year
        ("900101-00-5678", Err("mykad_place_of_birth")),
        ("900101-17-5678", Err("mykad_place_of_birth")),
        ("900101-20-5678", Err("mykad_place_of_birth")),
        ("900101-69-5678", Err("mykad_place_of_birth")),
        ("900101-70-5678", Err("mykad_place_of_birth")),
        ("900101-73-5678", Err("mykad_place_of_birth")),
        ("900101-80-5678", Err("mykad_place_of_birth")),
        ("900101-81-5678", Err("mykad_place_of_birth")),
        ("900101-94-5678", Err("mykad_place_of_birth")),
        ("900101-97-5678", Err("mykad_place_of_birth")),
    ];
    for (input, want) in cases {
        let got = normalize_mykad(input);
        assert_eq!(got.as_deref().map_err(|e| e.code()), *want, "{input}");
    }
}

#[test]
fn passport_numbers() {
    let cases: &[(&str, Result<&str, &str>)] = &[
        ("A12345678", Ok("A12345678")),
        (" k1234567 ", Ok("K1234567")),
        ("E1234", Ok("E1234")),
        ("AB1234567890123", Ok("AB1234567890123")),
        ("E123", Err("passport_format")),
        ("AB12345678901234", Err("passport_format")),
        ("A1234-5678", Err("passport_format")),
        ("A1234 5678", Err("passport_format")),
        ("Ä12345678", Err("passport_format")),
        ("", Err("passport_format")),
    ];
    for (input, want) in cases {
        let got = normalize_passport(input);
        assert_eq!(got.as_deref().map_err(|e| e.code()), *want, "{input}");
    }
}

#[test]
fn id_errors_never_echo_the_number() {
    for input in ["901301-14-5678", "900101-00-5678", "90010114567"] {
        let Err(e) = normalize_mykad(input) else {
            panic!("{input} should be refused");
        };
        assert!(!format!("{e} {e:?}").contains("5678"));
    }
}

#[test]
fn masks() {
    let ids = [
        ("900101-14-5678", "******-**-5678"),
        ("A12345678", "*****5678"),
        ("12345", "*2345"),
        ("1234", "****"),
        ("", ""),
    ];
    for (input, want) in ids {
        assert_eq!(mask_id(input), want, "{input}");
    }
    let names = [
        ("Nur Aisyah binti Abdullah", "N** A***** b**** A*******"),
        ("  José   Ñúñez ", "J*** Ñ****"),
        ("Li", "L*"),
        ("", ""),
    ];
    for (input, want) in names {
        assert_eq!(mask_name(input), want, "{input}");
    }
}

#[test]
fn emails() {
    let cases = [
        ("aisyah@example.com", true),
        ("nur.aisyah+espa@mail.example.com.my", true),
        ("o'neil@example.co", true),
        ("a@b-c.example", true),
        ("", false),
        ("plain", false),
        ("@example.com", false),
        ("a@", false),
        ("a@example", false),
        ("a@@example.com", false),
        ("a@b@example.com", false),
        ("a b@example.com", false),
        (".a@example.com", false),
        ("a..b@example.com", false),
        ("a.@example.com", false),
        ("a@-example.com", false),
        ("a@example-.com", false),
        ("a@example..com", false),
        ("a@example.c", false),
        ("a@example.c0m", false),
        ("\"a\"@example.com", false),
        ("a@[127.0.0.1]", false),
        ("é@example.com", false),
    ];
    for (input, want) in cases {
        assert_eq!(valid_email(input), want, "{input}");
    }
    let long_local = format!("{}@example.com", "a".repeat(65));
    assert!(!valid_email(&long_local));
    let long_label = format!("a@{}.com", "b".repeat(64));
    assert!(!valid_email(&long_label));
    let too_long = format!("a@{}.com", vec!["b".repeat(60); 5].join("."));
    assert!(!valid_email(&too_long));
    assert_eq!(
        normalize_email("  Nur.Aisyah@Example.COM "),
        "Nur.Aisyah@example.com"
    );
}

#[test]
fn postcodes() {
    let cases = [
        ("62000", true),
        ("01000", true),
        ("6200", false),
        ("620000", false),
        ("6200a", false),
        (" 62000", false),
        ("٦٢٠٠٠", false),
        ("", false),
    ];
    for (input, want) in cases {
        assert_eq!(valid_postcode(input), want, "{input}");
    }
}

#[test]
fn pin_policy_table() {
    use PinRule::*;
    let cases: &[(&str, &[PinRule])] = &[
        ("Abcdef1!", &[]),
        ("Abcdefghijklmno!", &[]),
        ("aB#aB#aB", &[]),
        ("Ab1!", &[TooShort]),
        ("Abcdef!", &[TooShort]),
        ("Abcdefghijklmnop!", &[TooLong]),
        ("abcdefg1!", &[NoUppercase]),
        ("ABCDEFG1!", &[NoLowercase]),
        ("Abcdefg12", &[NoSymbol]),
        ("Abcd efg1", &[NoSymbol]),
        ("12345678", &[NoUppercase, NoLowercase, NoSymbol]),
        ("", &[TooShort, NoUppercase, NoLowercase, NoSymbol]),
        ("Ääääää€€", &[]), // characters, not bytes: 8 long
    ];
    for (pin, want) in cases {
        assert_eq!(pin_policy::check(pin), *want, "case #{}", pin.len());
    }
    let codes: Vec<_> = [TooShort, TooLong, NoUppercase, NoLowercase, NoSymbol]
        .iter()
        .map(PinRule::code)
        .collect();
    assert_eq!(
        codes,
        [
            "pin_too_short",
            "pin_too_long",
            "pin_no_uppercase",
            "pin_no_lowercase",
            "pin_no_symbol"
        ]
    );
}
