//! Per-email rate limits of the public routes that check a password or a code, or send an
//! email: sign-in, password reset, registration and its confirmation code.
//!
//! Each (purpose, email) has a fixed-window counter in the table (see
//! `docs/data-model.md`): one `UpdateItem` adds the attempt on condition that the window
//! holds fewer than the limit, so concurrent attempts can never pass more than the limit.
//! Every attempt counts, whether or not the account exists and whether or not it succeeds,
//! so the answer at the limit (429) is the same for every email and tells nothing. The
//! check comes before any other call of the route: a refused attempt changes nothing else.
//!
//! API Gateway throttles the same routes per second (`infra/template.yaml`, a test keeps
//! them in step); these counters bound what one email can be tried with over minutes.

use crate::domain::Email;
use crate::keys;

/// What an attempt is for: each has its own counter and limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    StaffLogin,
    CustomerLogin,
    ForgotPassword,
    ResetPassword,
    Register,
    ConfirmSignup,
    ResendCode,
}

/// At most `max_attempts` in each fixed window of `window_seconds` (windows start at
/// multiples of `window_seconds` since the Unix epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max_attempts: u32,
    pub window_seconds: i64,
}

/// Sign-in (either pool), and registration with an existing account's password: a person
/// who mistypes retries a few times; an attacker gets 40 guesses an hour per account.
pub const PASSWORD_ATTEMPTS: Limit = Limit { max_attempts: 10, window_seconds: 15 * 60 };

/// The 6-digit codes (password reset, sign-up confirmation; 10^6 values): 40 guesses an
/// hour, so a reset code (valid 1 h) is guessed with a chance of 0.004 %.
pub const CODE_ATTEMPTS: Limit = Limit { max_attempts: 10, window_seconds: 15 * 60 };

/// Each request emails a reset code: enough for a lost email or two, not for mail-bombing
/// someone's inbox.
pub const FORGOT_PASSWORD: Limit = Limit { max_attempts: 5, window_seconds: 60 * 60 };

/// Each request emails the confirmation code again (as above, tighter: the first code is
/// sent at sign-up already).
pub const RESEND_CODE: Limit = Limit { max_attempts: 3, window_seconds: 60 * 60 };

impl Purpose {
    pub const ALL: [Self; 7] = [
        Self::StaffLogin,
        Self::CustomerLogin,
        Self::ForgotPassword,
        Self::ResetPassword,
        Self::Register,
        Self::ConfirmSignup,
        Self::ResendCode,
    ];

    /// Its name in the counter's key.
    pub fn name(self) -> &'static str {
        match self {
            Self::StaffLogin => "staff-login",
            Self::CustomerLogin => "customer-login",
            Self::ForgotPassword => "forgot-password",
            Self::ResetPassword => "reset-password",
            Self::Register => "register",
            Self::ConfirmSignup => "confirm-signup",
            Self::ResendCode => "resend-code",
        }
    }

    pub fn limit(self) -> Limit {
        match self {
            Self::StaffLogin | Self::CustomerLogin | Self::Register => PASSWORD_ATTEMPTS,
            Self::ResetPassword | Self::ConfirmSignup => CODE_ATTEMPTS,
            Self::ForgotPassword => FORGOT_PASSWORD,
            Self::ResendCode => RESEND_CODE,
        }
    }

    /// The route (`routes::ROUTES` key) whose attempts it counts.
    pub fn route(self) -> &'static str {
        match self {
            Self::StaffLogin => "POST /auth/staff/login",
            Self::CustomerLogin => "POST /auth/customer/login",
            Self::ForgotPassword => "POST /auth/customer/forgot-password",
            Self::ResetPassword => "POST /auth/customer/reset-password",
            Self::Register => "POST /registration",
            Self::ConfirmSignup => "POST /registration/confirm",
            Self::ResendCode => "POST /registration/resend",
        }
    }
}

/// One fixed window, `[start, end)` in epoch seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: i64,
    pub end: i64,
}

impl Limit {
    /// The window `now` (epoch seconds) falls in.
    pub fn window(self, now: i64) -> Window {
        let start = now - now.rem_euclid(self.window_seconds);
        Window { start, end: start + self.window_seconds }
    }

    /// The limit raised by `multiplier` (see `config::RATE_LIMIT_MULTIPLIER`).
    pub fn times(self, multiplier: u32) -> Self {
        Self { max_attempts: self.max_attempts.saturating_mul(multiplier.max(1)), ..self }
    }
}

impl Window {
    /// Whole seconds until the window ends (at least 1: never "retry now").
    pub fn retry_after(self, now: i64) -> u64 {
        u64::try_from(self.end - now).unwrap_or(0).max(1)
    }
}

/// The hex SHA-256 of the (trimmed, lower-cased) email: the table never holds the address
/// of someone who was only tried.
pub fn email_hash(email: &Email) -> String {
    crate::tokens::hash(email.as_str())
}

/// The counter's key: `RATE#{purpose}#{sha256(email)}` / `WINDOW#{windowStart}`.
pub fn counter_key(purpose: Purpose, email: &Email, window: Window) -> (String, String) {
    (keys::rate_limit_pk(purpose.name(), &email_hash(email)), keys::rate_limit_sk(window.start))
}

#[cfg(feature = "dynamodb")]
pub use limiter::RateLimiter;

#[cfg(feature = "dynamodb")]
mod limiter {
    use time::OffsetDateTime;

    use super::{Purpose, counter_key};
    use crate::config::{self, ConfigError};
    use crate::domain::Email;
    use crate::error::ApiError;
    use crate::store::Store;

    /// Checks and counts attempts against the limits, in the table.
    #[derive(Clone, Debug)]
    pub struct RateLimiter {
        store: Store,
        multiplier: u32,
    }

    impl RateLimiter {
        /// The limits as documented (`multiplier` 1).
        pub fn new(store: Store) -> Self {
            Self { store, multiplier: 1 }
        }

        /// With the multiplier of `RATE_LIMIT_MULTIPLIER`, if set (benchmarks only).
        pub fn from_env(store: Store) -> Result<Self, ConfigError> {
            let multiplier: u32 = config::optional(config::RATE_LIMIT_MULTIPLIER, 1)?;
            if multiplier == 0 {
                return Err(ConfigError::Invalid(config::RATE_LIMIT_MULTIPLIER, "0".into()));
            }
            Ok(Self { store, multiplier })
        }

        /// Counts one attempt of `purpose` for `email`; `TooManyRequests` (and nothing
        /// written) when the current window holds the limit already.
        pub async fn check(&self, purpose: Purpose, email: &Email) -> Result<(), ApiError> {
            self.check_at(purpose, email, OffsetDateTime::now_utc()).await
        }

        pub async fn check_at(&self, purpose: Purpose, email: &Email, now: OffsetDateTime) -> Result<(), ApiError> {
            let limit = purpose.limit().times(self.multiplier);
            let now = now.unix_timestamp();
            let window = limit.window(now);
            let (pk, sk) = counter_key(purpose, email, window);
            if self.store.count_attempt(pk, sk, limit.max_attempts, window.end).await? {
                Ok(())
            } else {
                tracing::warn!(purpose = purpose.name(), window_start = window.start, "rate limit reached");
                Err(ApiError::TooManyRequests { retry_after_seconds: window.retry_after(now) })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn email(text: &str) -> Email {
        Email::from_str(text).unwrap()
    }

    #[test]
    fn windows_are_fixed_and_aligned() {
        let limit = Limit { max_attempts: 10, window_seconds: 900 };
        // 2026-11-23T19:40:00Z lies in the window that started at 19:30.
        let now = 1_795_462_800;
        let window = limit.window(now);
        assert_eq!(window.start % 900, 0);
        assert!(window.start <= now && now < window.end);
        assert_eq!(window.end - window.start, 900);
        // Every instant of a window maps to it; the next second after it, to the next.
        assert_eq!(limit.window(window.start), window);
        assert_eq!(limit.window(window.end - 1), window);
        assert_eq!(limit.window(window.end), Window { start: window.end, end: window.end + 900 });
        assert_eq!(limit.window(-1), Window { start: -900, end: 0 });
    }

    #[test]
    fn retry_after_counts_down_to_the_window_end_and_never_to_zero() {
        let limit = Limit { max_attempts: 3, window_seconds: 3600 };
        let start = 1_795_460_400; // a multiple of 3600: a window's first second
        assert_eq!(start % 3600, 0);
        let window = limit.window(start);
        assert_eq!(window.retry_after(start), 3600);
        assert_eq!(window.retry_after(start + 3599), 1);
        assert_eq!(window.retry_after(start + 3600), 1);
        assert_eq!(window.retry_after(start + 10_000), 1);
    }

    #[test]
    fn the_key_changes_when_the_window_rolls_over() {
        let ana = email("ana@example.com");
        let limit = Purpose::StaffLogin.limit();
        let last_second = limit.window(1_795_462_800).end - 1;
        let before = counter_key(Purpose::StaffLogin, &ana, limit.window(last_second));
        let after = counter_key(Purpose::StaffLogin, &ana, limit.window(last_second + 1));
        assert_eq!(before.0, after.0, "one partition per purpose and email");
        assert_ne!(before.1, after.1, "a new window is a new counter");
        assert_eq!(before, counter_key(Purpose::StaffLogin, &ana, limit.window(last_second - 899)));
    }

    #[test]
    fn keys_hold_a_hash_of_the_normalised_email_and_the_purpose() {
        let ana = email("  Ana@Example.COM ");
        let window = Window { start: 1_795_462_200, end: 1_795_463_100 };
        let (pk, sk) = counter_key(Purpose::ResendCode, &ana, window);
        assert_eq!(pk, format!("RATE#resend-code#{}", email_hash(&email("ana@example.com"))));
        assert_eq!(sk, "WINDOW#1795462200");
        assert!(!pk.to_lowercase().contains("ana") && !pk.contains('@'), "{pk}");
        assert_eq!(email_hash(&ana).len(), 64);
        // Each purpose and each email has its own counter.
        let mut keys: Vec<_> = Purpose::ALL.iter().map(|p| counter_key(*p, &ana, window).0).collect();
        keys.push(counter_key(Purpose::ResendCode, &email("bo@example.com"), window).0);
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), Purpose::ALL.len() + 1);
    }

    #[test]
    fn every_purpose_counts_one_public_route_of_the_route_table() {
        for purpose in Purpose::ALL {
            let route = crate::routes::ROUTES.iter().find(|r| r.key() == purpose.route());
            assert!(
                route.is_some_and(|r| r.authorizer == crate::routes::Authorizer::Public),
                "{purpose:?}: {} is not a public route",
                purpose.route()
            );
            let limit = purpose.limit();
            assert!(limit.max_attempts >= 3 && limit.window_seconds >= 60, "{purpose:?}");
        }
        assert_eq!(PASSWORD_ATTEMPTS.times(1000).max_attempts, 10_000);
        assert_eq!(RESEND_CODE.times(0), RESEND_CODE);
        assert_eq!(Limit { max_attempts: u32::MAX, window_seconds: 1 }.times(2).max_attempts, u32::MAX);
    }
}
