//! AdamW whose moments can be saved with a checkpoint (candle's keeps them private), with
//! weight decay only on the parameters that should have it.

use std::collections::HashMap;

use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};

use crate::error::Result;

pub(crate) struct AdamW {
    params: Vec<Param>,
    pub(crate) step: usize,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
}

struct Param {
    name: String,
    var: Var,
    decay: bool,
    m: Tensor,
    v: Tensor,
}

impl AdamW {
    pub(crate) fn new(vars: Vec<(String, Var, bool)>, weight_decay: f64) -> Result<Self> {
        let params = vars
            .into_iter()
            .map(|(name, var, decay)| {
                let m = var.zeros_like()?;
                let v = var.zeros_like()?;
                Ok(Param {
                    name,
                    var,
                    decay,
                    m,
                    v,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            params,
            step: 0,
            beta1: 0.9,
            beta2: 0.98,
            eps: 1e-8,
            weight_decay,
        })
    }

    pub(crate) fn step(&mut self, grads: &GradStore, lr: f64) -> Result<()> {
        self.step += 1;
        let t = self.step as i32;
        let c1 = 1.0 / (1.0 - self.beta1.powi(t));
        let c2 = 1.0 / (1.0 - self.beta2.powi(t));
        for p in &mut self.params {
            let Some(g) = grads.get(p.var.as_tensor()) else {
                continue;
            };
            let m = ((&p.m * self.beta1)? + (g * (1.0 - self.beta1))?)?;
            let v = ((&p.v * self.beta2)? + (g.sqr()? * (1.0 - self.beta2))?)?;
            let update = ((&m * c1)? / ((&v * c2)?.sqrt()? + self.eps)?)?;
            let mut theta = p.var.as_tensor().detach();
            if p.decay && self.weight_decay > 0.0 {
                theta = (theta * (1.0 - lr * self.weight_decay))?;
            }
            p.var.set(&(theta - (update * lr)?)?)?;
            p.m = m.detach();
            p.v = v.detach();
        }
        Ok(())
    }

    /// Moments keyed `m.NAME` / `v.NAME`.
    pub(crate) fn state(&self) -> HashMap<String, Tensor> {
        let mut out = HashMap::new();
        for p in &self.params {
            out.insert(format!("m.{}", p.name), p.m.clone());
            out.insert(format!("v.{}", p.name), p.v.clone());
        }
        out
    }

    pub(crate) fn load_state(&mut self, state: &HashMap<String, Tensor>, step: usize) {
        for p in &mut self.params {
            if let (Some(m), Some(v)) = (
                state.get(&format!("m.{}", p.name)),
                state.get(&format!("v.{}", p.name)),
            ) {
                p.m = m.clone();
                p.v = v.clone();
            }
        }
        self.step = step;
    }
}
