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
                    reason: "this build has no CUDA support; rebuild with `--features cuda` (needs the CUDA toolkit) or use `--device cpu`".into(),
                });
            }
            Device::new_cuda(ordinal).map_err(|e| Error::Device {
                device,
                reason: format!(
                    "{e}; check the GPU's ordinal with nvidia-smi, or use `--device cpu`"
                ),
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
