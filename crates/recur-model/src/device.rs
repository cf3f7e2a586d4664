//! The candle device for a [`ComputeDevice`].

use candle_core::Device;
use recur_core::ComputeDevice;

use crate::error::{Error, Result};

/// The candle device for `device`: the CPU, or a CUDA GPU in builds with the `cuda` feature
/// (elsewhere an error that says how to get one).
pub fn candle_device(device: ComputeDevice) -> Result<Device> {
    let ComputeDevice::Cuda(ordinal) = device else {
        return Ok(Device::Cpu);
    };
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
