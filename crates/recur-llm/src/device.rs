//! The candle device for a [`ComputeDevice`].

use candle_core::Device;
use recur_core::ComputeDevice;

use crate::error::{Error, Result};

/// The candle device for `device`: the CPU, or a CUDA GPU in builds with the `cuda` feature
/// (elsewhere an error that says how to get one).
pub fn candle_device(device: ComputeDevice) -> Result<Device> {
    match device {
        ComputeDevice::Cpu => Ok(Device::Cpu),
        ComputeDevice::Cuda(ordinal) => {
            if !cfg!(feature = "cuda") {
                return Err(Error::Device {
                    device,
                    reason: ComputeDevice::NO_CUDA_IN_BUILD.into(),
                });
            }
            Device::new_cuda(ordinal).map_err(|e| Error::Device {
                device,
                reason: device.open_failed(&e),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cpu_always_works_and_cuda_says_what_to_do() {
        assert!(candle_device(ComputeDevice::Cpu).unwrap().is_cpu());
        if !cfg!(feature = "cuda") {
            let e = candle_device(ComputeDevice::Cuda(0)).unwrap_err();
            assert!(e.is_user_error());
            assert!(e.to_string().contains("--features cuda"), "{e}");
        }
    }
}
