//! Masking personal data for logs: enough to tell two residents apart, not enough to contact one.

/// `mandy.smith@example.com` → `m***@example.com`.
pub fn email(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

/// `+447700900123` → `+44*******123`.
pub fn phone(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    if chars.len() <= 6 {
        return "***".to_owned();
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 3..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 6))
}

#[cfg(test)]
mod tests {
    #[test]
    fn masks_keep_no_more_than_a_hint() {
        assert_eq!(super::email("mandy.smith@example.com"), "m***@example.com");
        assert_eq!(super::phone("+447700900123"), "+44*******123");
        assert_eq!(super::email("nonsense"), "***");
    }
}
