//! Where the tensor work of the machine-learning crates runs.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Expected};

/// The processor the language runtime and the behaviour model compute on: the CPU (default,
/// every build) or an NVIDIA GPU by ordinal (builds with the `cuda` feature).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ComputeDevice {
    /// The CPU.
    #[default]
    Cpu,
    /// The CUDA GPU with this ordinal (`cuda` is `cuda:0`).
    Cuda(usize),
}

impl ComputeDevice {
    /// Why a CUDA device cannot be opened in a build without the `cuda` feature, and what to do.
    pub const NO_CUDA_IN_BUILD: &'static str = "this build has no CUDA support; rebuild with `--features cuda` (needs the CUDA toolkit) or use `--device cpu`";

    /// Why opening this device failed (`cause`, the runtime's error) and what to do.
    pub fn open_failed(self, cause: &dyn fmt::Display) -> String {
        format!("{cause}; check the GPU's ordinal with nvidia-smi, or use `--device cpu`")
    }

    /// Whether this is the CPU.
    pub fn is_cpu(self) -> bool {
        self == Self::Cpu
    }
}

impl fmt::Display for ComputeDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Cpu => f.write_str("cpu"),
            Self::Cuda(n) => write!(f, "cuda:{n}"),
        }
    }
}

impl FromStr for ComputeDevice {
    type Err = Error;

    /// `cpu`, `cuda` (the first GPU) or `cuda:N`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        let ordinal = t.strip_prefix("cuda:").map(str::parse::<usize>);
        match (t.as_str(), ordinal) {
            ("cpu", _) => Ok(Self::Cpu),
            ("cuda", _) => Ok(Self::Cuda(0)),
            (_, Some(Ok(n))) => Ok(Self::Cuda(n)),
            _ => Err(Error::InvalidValue {
                what: "device",
                value: s.to_owned(),
                expected: Expected(&["cpu", "cuda", "cuda:N (N = the GPU's ordinal)"]),
            }),
        }
    }
}

impl Serialize for ComputeDevice {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ComputeDevice {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_parse_and_print() {
        assert_eq!("cpu".parse::<ComputeDevice>().unwrap(), ComputeDevice::Cpu);
        assert_eq!(
            "CUDA".parse::<ComputeDevice>().unwrap(),
            ComputeDevice::Cuda(0)
        );
        assert_eq!(
            "cuda:2".parse::<ComputeDevice>().unwrap(),
            ComputeDevice::Cuda(2)
        );
        assert_eq!(ComputeDevice::Cuda(1).to_string(), "cuda:1");
        let e = "gpu".parse::<ComputeDevice>().unwrap_err().to_string();
        assert!(
            e.contains("`gpu` is not a valid device") && e.contains("cuda:N"),
            "{e}"
        );
        assert!("cuda:x".parse::<ComputeDevice>().is_err());
        assert!(ComputeDevice::default().is_cpu());
    }
}
