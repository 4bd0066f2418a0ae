//! Conversions between `chrono` instants and X.509 `Time`. X.509 times have
//! whole seconds, so sub-second parts are dropped.

use std::time::Duration;

use chrono::{DateTime, Utc};
use x509_cert::time::Time;

use crate::error::{PkiError, Result};

pub(crate) fn to_x509(at: DateTime<Utc>) -> Result<Time> {
    let secs = u64::try_from(at.timestamp()).map_err(|_| PkiError::InvalidValidity)?;
    let date = der::DateTime::from_unix_duration(Duration::from_secs(secs))
        .map_err(|_| PkiError::InvalidValidity)?;
    Ok(Time::from(date))
}

pub(crate) fn from_x509(time: &Time) -> Result<DateTime<Utc>> {
    let secs =
        i64::try_from(time.to_unix_duration().as_secs()).map_err(|_| PkiError::InvalidValidity)?;
    DateTime::from_timestamp(secs, 0).ok_or(PkiError::InvalidValidity)
}
