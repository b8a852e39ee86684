//! The element types of the `flex` kernels ([`KernelFloat`]: their buffers and activations)
//! and [`on_widest_vectors!`], which compiles a pointwise pass again for the widest vectors.

use std::ops::{Add, Mul, Sub};

use burn::backend::flex::FlexTensor;
use burn::tensor::TensorData;

use super::activations::{exact, fast};

/// Defines `fn $name<T: KernelFloat>(…) { … }` so that its body, with every `#[inline(always)]`
/// function it calls, is compiled again for AVX-512 and for AVX2 with FMA, and the widest the CPU
/// has runs. The kernels' pointwise loops are vectorised by the compiler, for the vectors the
/// target features allow: plain x86-64 has SSE's 4 lanes, AVX-512 has 16.
macro_rules! on_widest_vectors {
    (
        $(#[$attribute:meta])*
        fn $name:ident<T: KernelFloat>($($argument:ident: $type:ty),* $(,)?) $body:block
    ) => {
        $(#[$attribute])*
        fn $name<T: KernelFloat>($($argument: $type),*) {
            #[inline(always)]
            fn portable<T: KernelFloat>($($argument: $type),*) $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
                fn avx512<T: KernelFloat>($($argument: $type),*) {
                    portable::<T>($($argument),*)
                }
                #[target_feature(enable = "avx2,fma")]
                fn avx2<T: KernelFloat>($($argument: $type),*) {
                    portable::<T>($($argument),*)
                }
                if $crate::kernels::flex::activations::fast::has_avx512() {
                    // SAFETY: the CPU has AVX-512 (F, VL), AVX2 and FMA.
                    return unsafe { avx512::<T>($($argument),*) };
                }
                if $crate::kernels::flex::activations::fast::has_avx2() {
                    // SAFETY: the CPU has AVX2 and FMA.
                    return unsafe { avx2::<T>($($argument),*) };
                }
            }
            portable::<T>($($argument),*)
        }
    };
}
pub(crate) use on_widest_vectors;

/// The element types the kernel runs on.
pub(super) trait KernelFloat:
    Copy
    + Send
    + Sync
    + PartialEq
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + 'static
{
    const ZERO: Self;
    const ONE: Self;

    /// The values of a contiguous tensor (see [`contiguous`]), in row-major order.
    fn values(tensor: &FlexTensor) -> &[Self];

    /// The values of a contiguous tensor to write in place, when its buffer is its own and
    /// holds just them; `None` otherwise.
    fn values_mut(tensor: &mut FlexTensor) -> Option<&mut [Self]>;

    /// A contiguous tensor of `shape` holding `values`.
    fn tensor(values: Vec<Self>, shape: &[usize]) -> FlexTensor;

    /// Activates one window's gates `[4H]` in place: sigmoid for i, f and o, tanh for g.
    fn activate_gates(gates: &mut [Self], hidden_size: usize);

    /// `tanh` of every value of `input`, into `output`.
    fn tanh_into(input: &[Self], output: &mut [Self]);

    /// The sigmoid of every value, in place.
    fn sigmoid_in_place(values: &mut [Self]);

    /// `tanh` of every value, in place.
    fn tanh_in_place(values: &mut [Self]);
}

macro_rules! kernel_float {
    ($float:ty, $activations:ident) => {
        impl KernelFloat for $float {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;

            fn values(tensor: &FlexTensor) -> &[Self] {
                tensor
                    .as_slice::<$float>()
                    .expect("a contiguous tensor of the kernel's dtype")
            }

            fn values_mut(tensor: &mut FlexTensor) -> Option<&mut [Self]> {
                let count = tensor.layout().num_elements();
                if tensor.layout().contiguous_offsets() != Some((0, count)) {
                    return None;
                }
                tensor
                    .try_storage_mut::<$float>()
                    .filter(|values| values.len() == count)
            }

            fn tensor(values: Vec<Self>, shape: &[usize]) -> FlexTensor {
                FlexTensor::from_data(TensorData::new(values, shape.to_vec()))
            }

            fn activate_gates(gates: &mut [Self], hidden_size: usize) {
                $activations::activate_gates(gates, hidden_size)
            }

            fn tanh_into(input: &[Self], output: &mut [Self]) {
                $activations::tanh_into(input, output)
            }

            fn sigmoid_in_place(values: &mut [Self]) {
                $activations::sigmoid_in_place(values)
            }

            fn tanh_in_place(values: &mut [Self]) {
                $activations::tanh_in_place(values)
            }
        }
    };
}

kernel_float!(f32, fast);
kernel_float!(f64, exact);
