//! Finding Swedish personal identity numbers (personnummer, samordningsnummer) in free
//! text. A situation report is aggregate: it holds no personal data about offences
//! (GDPR art. 10, `docs/personal-data.md`), so a text in which this finds a number is
//! refused, whatever else it holds.
//!
//! A match is a run of 10 or 12 digits, optionally with `-` or `+` before the last four
//! (`YYMMDD-NNNN`, `YYYYMMDDNNNN`, `YYYYMMDD-NNNN`), not part of a longer run of digits,
//! whose date is a real date (a samordningsnummer adds 60 to the day) and whose last
//! digit is the Luhn check digit of the ten. Dates, amounts and case numbers do not pass
//! all three; a real number always does.

/// The first personal identity number in `text`, masked for the message (`YYMMDD-****`),
/// or `None`.
pub fn find(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() && (i == 0 || !chars[i - 1].is_ascii_digit()) {
            if let Some((digits, _)) = candidate(&chars[i..]) {
                if valid(&digits) {
                    return Some(mask(&digits));
                }
            }
        }
        i += 1;
    }
    None
}

/// The digits of a candidate starting at `s[0]` and its length in characters.
fn candidate(s: &[char]) -> Option<(Vec<u8>, usize)> {
    let run = |from: usize| s[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let first = run(0);
    let digits = |from: usize, n: usize| -> Vec<u8> {
        s[from..from + n]
            .iter()
            .map(|c| c.to_digit(10).unwrap_or(0) as u8)
            .collect()
    };
    // Without a separator: exactly 10 or 12 digits.
    if first == 10 || first == 12 {
        return Some((digits(0, first), first));
    }
    // With one: 6 or 8 digits, `-` or `+`, exactly 4 digits.
    if (first == 6 || first == 8)
        && s.get(first).is_some_and(|c| *c == '-' || *c == '+')
        && run(first + 1) == 4
    {
        let mut d = digits(0, first);
        d.extend(digits(first + 1, 4));
        return Some((d, first + 5));
    }
    None
}

/// Whether 10 or 12 digits form a real date and pass the Luhn check.
fn valid(d: &[u8]) -> bool {
    let ten = if d.len() == 12 { &d[2..] } else { d };
    let num = |i: usize| u32::from(ten[i]) * 10 + u32::from(ten[i + 1]);
    let (month, day) = (num(2), num(4));
    let day = if day > 60 { day - 60 } else { day };
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return false;
    }
    if d.len() == 12 {
        let century = u32::from(d[0]) * 10 + u32::from(d[1]);
        if !(18..=20).contains(&century) {
            return false;
        }
    }
    luhn(ten)
}

/// The Luhn check over ten digits (the last is the check digit).
fn luhn(ten: &[u8]) -> bool {
    let sum: u32 = ten
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let v = u32::from(*d) * if i % 2 == 0 { 2 } else { 1 };
            v / 10 + v % 10
        })
        .sum();
    sum.is_multiple_of(10)
}

fn mask(d: &[u8]) -> String {
    let ten = if d.len() == 12 { &d[2..] } else { d };
    let date: String = ten[..6].iter().map(|d| char::from(b'0' + d)).collect();
    format!("{date}-****")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The check digit that makes nine digits a valid ten.
    fn check_digit(nine: &[u8]) -> u8 {
        (0..10u8)
            .find(|c| {
                let mut t = nine.to_vec();
                t.push(*c);
                luhn(&t)
            })
            .unwrap()
    }

    #[test]
    fn finds_the_test_numbers_in_every_form() {
        // Skatteverket's published test number 19121212-1212.
        for t in [
            "Anmälan gällde 121212-1212 i Vårby.",
            "pnr 191212121212",
            "19121212-1212",
            "1212121212",
            "121212+1212",
        ] {
            assert_eq!(find(t).as_deref(), Some("121212-****"), "{t}");
        }
    }

    #[test]
    fn leaves_dates_amounts_and_case_numbers() {
        for t in [
            "Läge 5 i Vårby 2023-06-01, 16,7 mnkr per år.",
            "Dnr KS-2024/1234.1 och 2023:196",
            "Telefon 08-535 300 00",
            "121212-1213",
            "12345678901234",
            "991332-1234",
        ] {
            assert_eq!(find(t), None, "{t}");
        }
    }

    #[test]
    fn samordningsnummer_are_found() {
        // Day 12 + 60 = 72.
        let nine = [1, 2, 1, 2, 7, 2, 1, 2, 1];
        let c = check_digit(&nine);
        let text = format!("121272-121{c}");
        assert!(find(&text).is_some());
    }

    proptest! {
        #[test]
        fn any_valid_number_in_any_text_is_found(
            yy in 0u8..100, mm in 1u8..13, dd in 1u8..29, serial in 0u16..1000,
            before in "[a-zåäö ,.]{0,20}", after in "[a-zåäö ,.]{0,20}", plus in any::<bool>(),
        ) {
            let mut nine: Vec<u8> = vec![yy / 10, yy % 10, mm / 10, mm % 10, dd / 10, dd % 10];
            nine.extend([(serial / 100) as u8, (serial / 10 % 10) as u8, (serial % 10) as u8]);
            let c = check_digit(&nine);
            let digits: String = nine.iter().map(|d| char::from(b'0' + d)).collect();
            let sep = if plus { '+' } else { '-' };
            let text = format!("{before}{}{sep}{}{c}{after}", &digits[..6], &digits[6..]);
            prop_assert!(find(&text).is_some());
        }

        #[test]
        fn never_panics(text in "\\PC{0,80}") {
            let _ = find(&text);
        }

        #[test]
        fn text_without_ten_digits_passes(text in "[^0-9]{0,40}[0-9]{0,5}[^0-9]{0,40}") {
            prop_assert_eq!(find(&text), None);
        }
    }
}
