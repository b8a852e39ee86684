//! The activations of the fused kernel: the standard library's for `f64` (`exact`), and
//! vectorised approximations for `f32` ([`fast`]).

/// `f64` activations from the standard library.
pub(super) mod exact {
    pub fn activate_gates(gates: &mut [f64], hidden_size: usize) {
        for (index, value) in gates.iter_mut().enumerate() {
            let is_candidate = (2 * hidden_size..3 * hidden_size).contains(&index);
            *value = match is_candidate {
                true => value.tanh(),
                false => 1.0 / (1.0 + (-*value).exp()),
            };
        }
    }

    pub fn tanh_into(input: &[f64], output: &mut [f64]) {
        for (out, value) in output.iter_mut().zip(input) {
            *out = value.tanh();
        }
    }

    pub fn sigmoid_in_place(values: &mut [f64]) {
        for value in values {
            *value = 1.0 / (1.0 + (-*value).exp());
        }
    }

    pub fn tanh_in_place(values: &mut [f64]) {
        for value in values {
            *value = value.tanh();
        }
    }
}

/// `f32` activations that the compiler vectorises: `exp` by range reduction to `[−ln2/2, ln2/2]`
/// and Cephes' degree-6 polynomial (relative error about 1e-7), and `tanh` from it (a short
/// series near zero, where `1 − e^{−2|x|}` would cancel). On x86-64 the loops are compiled again
/// for AVX-512 and for AVX2 with FMA, and the widest the CPU has is chosen at run time; those two
/// builds fuse the polynomials' multiply-adds (about 10 % off a forward pass of the LSTM).
pub mod fast {
    /// `a·b + c`, in one rounding with `FMA` (for code compiled where the CPU has fused
    /// multiply-adds; elsewhere `mul_add` would be a slow library call).
    #[inline(always)]
    fn multiply_add<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
        match FMA {
            true => a.mul_add(b, c),
            false => a * b + c,
        }
    }

    /// `e^x`, for `x` clamped to `[−87, 88]`.
    #[inline(always)]
    pub fn exp(x: f32) -> f32 {
        exp_with::<false>(x)
    }

    /// [`exp`], its multiply-adds fused with `FMA`.
    #[inline(always)]
    fn exp_with<const FMA: bool>(x: f32) -> f32 {
        // adding 1.5·2²³ rounds to an integer n, which then sits in the low mantissa bits
        const SHIFTER: f32 = 12_582_912.0;
        const SHIFTER_BITS: i32 = 0x4B40_0000;
        let madd = multiply_add::<FMA>;
        let x = x.clamp(-87.0, 88.0);
        let shifted = madd(x, std::f32::consts::LOG2_E, SHIFTER);
        let n = shifted - SHIFTER;
        let r = madd(n, 2.121_944_4e-4, madd(n, -0.693_359_4, x));
        let mut polynomial = madd(1.987_569_1e-4, r, 1.398_199_9e-3);
        for coefficient in [8.333_452e-3, 4.166_579_6e-2, 1.666_666_5e-1, 0.5] {
            polynomial = madd(polynomial, r, coefficient);
        }
        let mantissa = madd(polynomial * r, r, r + 1.0);
        // wrapping arithmetic: overflow checks would keep the loops from vectorising
        let exponent = (shifted.to_bits() as i32)
            .wrapping_sub(SHIFTER_BITS)
            .wrapping_add(127)
            << 23;
        mantissa * f32::from_bits(exponent as u32)
    }

    /// `1 / (1 + e^{−x})`.
    #[inline(always)]
    pub fn sigmoid(x: f32) -> f32 {
        sigmoid_with::<false>(x)
    }

    #[inline(always)]
    fn sigmoid_with<const FMA: bool>(x: f32) -> f32 {
        1.0 / (1.0 + exp_with::<FMA>(-x))
    }

    /// `tanh x`.
    #[inline(always)]
    pub fn tanh(x: f32) -> f32 {
        tanh_with::<false>(x)
    }

    #[inline(always)]
    fn tanh_with<const FMA: bool>(x: f32) -> f32 {
        let magnitude = x.abs();
        let e = exp_with::<FMA>(-2.0 * magnitude);
        let far = (1.0 - e) / (1.0 + e);
        let square = x * x;
        let madd = multiply_add::<FMA>;
        let series = madd(
            square,
            madd(square, madd(square, -17.0 / 315.0, 2.0 / 15.0), -1.0 / 3.0),
            1.0,
        );
        let near = magnitude * series;
        let value = if magnitude < 0.125 { near } else { far };
        value.copysign(x)
    }

    #[inline(always)]
    fn activate_gates_portable<const FMA: bool>(gates: &mut [f32], hidden_size: usize) {
        let (input_forget, rest) = gates.split_at_mut(2 * hidden_size);
        let (candidate, output_gate) = rest.split_at_mut(hidden_size);
        for value in input_forget {
            *value = sigmoid_with::<FMA>(*value);
        }
        for value in candidate {
            *value = tanh_with::<FMA>(*value);
        }
        for value in output_gate {
            *value = sigmoid_with::<FMA>(*value);
        }
    }

    #[inline(always)]
    fn tanh_into_portable<const FMA: bool>(input: &[f32], output: &mut [f32]) {
        for (out, value) in output.iter_mut().zip(input) {
            *out = tanh_with::<FMA>(*value);
        }
    }

    #[inline(always)]
    fn sigmoid_in_place_portable<const FMA: bool>(values: &mut [f32]) {
        for value in values {
            *value = sigmoid_with::<FMA>(*value);
        }
    }

    #[inline(always)]
    fn tanh_in_place_portable<const FMA: bool>(values: &mut [f32]) {
        for value in values {
            *value = tanh_with::<FMA>(*value);
        }
    }

    #[cfg(target_arch = "x86_64")]
    mod avx512 {
        #[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
        pub fn activate_gates(gates: &mut [f32], hidden_size: usize) {
            super::activate_gates_portable::<true>(gates, hidden_size)
        }

        #[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
        pub fn tanh_into(input: &[f32], output: &mut [f32]) {
            super::tanh_into_portable::<true>(input, output)
        }

        #[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
        pub fn sigmoid_in_place(values: &mut [f32]) {
            super::sigmoid_in_place_portable::<true>(values)
        }

        #[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
        pub fn tanh_in_place(values: &mut [f32]) {
            super::tanh_in_place_portable::<true>(values)
        }

        pub fn available() -> bool {
            std::is_x86_feature_detected!("avx512f")
                && std::is_x86_feature_detected!("avx512vl")
                && super::avx2::available()
        }
    }

    #[cfg(target_arch = "x86_64")]
    mod avx2 {
        #[target_feature(enable = "avx2,fma")]
        pub fn activate_gates(gates: &mut [f32], hidden_size: usize) {
            super::activate_gates_portable::<true>(gates, hidden_size)
        }

        #[target_feature(enable = "avx2,fma")]
        pub fn tanh_into(input: &[f32], output: &mut [f32]) {
            super::tanh_into_portable::<true>(input, output)
        }

        #[target_feature(enable = "avx2,fma")]
        pub fn sigmoid_in_place(values: &mut [f32]) {
            super::sigmoid_in_place_portable::<true>(values)
        }

        #[target_feature(enable = "avx2,fma")]
        pub fn tanh_in_place(values: &mut [f32]) {
            super::tanh_in_place_portable::<true>(values)
        }

        pub fn available() -> bool {
            std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
        }
    }

    /// Whether the CPU has AVX-512 (F, VL) with AVX2 and FMA.
    #[cfg(target_arch = "x86_64")]
    pub(crate) fn has_avx512() -> bool {
        avx512::available()
    }

    /// Whether the CPU has AVX2 and FMA.
    #[cfg(target_arch = "x86_64")]
    pub(crate) fn has_avx2() -> bool {
        avx2::available()
    }

    /// Sigmoid for the i, f and o blocks of one window's gates `[4H]`, tanh for g.
    pub fn activate_gates(gates: &mut [f32], hidden_size: usize) {
        #[cfg(target_arch = "x86_64")]
        if avx512::available() {
            // SAFETY: the CPU has AVX-512 (F, VL), AVX2 and FMA.
            return unsafe { avx512::activate_gates(gates, hidden_size) };
        }
        #[cfg(target_arch = "x86_64")]
        if avx2::available() {
            // SAFETY: the CPU has AVX2 and FMA.
            return unsafe { avx2::activate_gates(gates, hidden_size) };
        }
        activate_gates_portable::<false>(gates, hidden_size)
    }

    /// The sigmoid of every value, in place.
    pub fn sigmoid_in_place(values: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if avx512::available() {
            // SAFETY: the CPU has AVX-512 (F, VL), AVX2 and FMA.
            return unsafe { avx512::sigmoid_in_place(values) };
        }
        #[cfg(target_arch = "x86_64")]
        if avx2::available() {
            // SAFETY: the CPU has AVX2 and FMA.
            return unsafe { avx2::sigmoid_in_place(values) };
        }
        sigmoid_in_place_portable::<false>(values)
    }

    /// `tanh` of every value, in place.
    pub fn tanh_in_place(values: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if avx512::available() {
            // SAFETY: the CPU has AVX-512 (F, VL), AVX2 and FMA.
            return unsafe { avx512::tanh_in_place(values) };
        }
        #[cfg(target_arch = "x86_64")]
        if avx2::available() {
            // SAFETY: the CPU has AVX2 and FMA.
            return unsafe { avx2::tanh_in_place(values) };
        }
        tanh_in_place_portable::<false>(values)
    }

    /// `tanh` of every value of `input`, into `output`.
    pub fn tanh_into(input: &[f32], output: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if avx512::available() {
            // SAFETY: the CPU has AVX-512 (F, VL), AVX2 and FMA.
            return unsafe { avx512::tanh_into(input, output) };
        }
        #[cfg(target_arch = "x86_64")]
        if avx2::available() {
            // SAFETY: the CPU has AVX2 and FMA.
            return unsafe { avx2::tanh_into(input, output) };
        }
        tanh_into_portable::<false>(input, output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_activations_match_the_standard_library() {
        let mut worst = [0.0f64; 3];
        for step in -200_000..=200_000 {
            let x = step as f32 * 4e-4;
            let exp_error = ((fast::exp(x) as f64 - (x as f64).exp()) / (x as f64).exp()).abs();
            let sigmoid = 1.0 / (1.0 + (-(x as f64)).exp());
            let sigmoid_error = ((fast::sigmoid(x) as f64 - sigmoid) / sigmoid).abs();
            let tanh_error = (fast::tanh(x) as f64 - (x as f64).tanh()).abs()
                / (x as f64).tanh().abs().max(1e-30);
            for (worst, error) in worst.iter_mut().zip([exp_error, sigmoid_error, tanh_error]) {
                *worst = worst.max(error);
            }
        }
        let [exp, sigmoid, tanh] = worst;
        assert!(exp < 3e-7, "exp: relative error {exp:e}");
        assert!(sigmoid < 5e-7, "sigmoid: relative error {sigmoid:e}");
        assert!(tanh < 1e-6, "tanh: relative error {tanh:e}");
        assert_eq!(fast::exp(-1000.0), (-87.0f32).exp().max(fast::exp(-87.0)));
        assert!(fast::sigmoid(-100.0) >= 0.0 && fast::sigmoid(100.0) == 1.0);
        assert_eq!(fast::tanh(30.0), 1.0);
        assert_eq!(fast::tanh(-30.0), -1.0);
    }

    #[test]
    fn slice_activations_with_fused_multiply_adds_are_as_accurate() {
        let xs: Vec<f32> = (-200_000..=200_000)
            .map(|step| step as f32 * 4e-4)
            .collect();
        let (mut sigmoid, mut tanh) = (xs.clone(), xs.clone());
        fast::sigmoid_in_place(&mut sigmoid);
        fast::tanh_in_place(&mut tanh);
        let relative = |ours: f32, exact: f64| (ours as f64 - exact).abs() / exact.abs().max(1e-30);
        let mut worst = [0.0f64; 2];
        for ((x, sigmoid), tanh) in xs.iter().zip(sigmoid).zip(tanh) {
            let x = *x as f64;
            worst[0] = worst[0].max(relative(sigmoid, 1.0 / (1.0 + (-x).exp())));
            worst[1] = worst[1].max(relative(tanh, x.tanh()));
        }
        let [sigmoid, tanh] = worst;
        assert!(sigmoid < 5e-7, "sigmoid: relative error {sigmoid:e}");
        assert!(tanh < 1e-6, "tanh: relative error {tanh:e}");
    }

    /// Whether two results of the same approximation agree to within rounding (the slice
    /// functions fuse multiply-adds where the CPU has them).
    fn agree(ours: f32, scalar: f32) -> bool {
        (ours - scalar).abs() <= 4.0 * f32::EPSILON * scalar.abs().max(f32::MIN_POSITIVE)
    }

    #[test]
    fn slice_activations_match_the_scalar_ones() {
        let hidden_size = 37; // not a multiple of any vector width
        // spread over [−6, 6] in an order that is not monotonic
        let gates: Vec<f32> = (0..4 * hidden_size)
            .map(|index| ((index * 7919) % 1201) as f32 / 100.0 - 6.0)
            .collect();
        let mut activated = gates.clone();
        fast::activate_gates(&mut activated, hidden_size);
        for (index, (value, pre)) in activated.iter().zip(&gates).enumerate() {
            let expected = match index / hidden_size {
                2 => fast::tanh(*pre),
                _ => fast::sigmoid(*pre),
            };
            assert!(
                agree(*value, expected),
                "gate value {index}: {value} against {expected}"
            );
        }
        let mut tanh = vec![0.0; gates.len()];
        fast::tanh_into(&gates, &mut tanh);
        let mut in_place = gates.clone();
        fast::tanh_in_place(&mut in_place);
        let mut sigmoid = gates.clone();
        fast::sigmoid_in_place(&mut sigmoid);
        for (index, pre) in gates.iter().enumerate() {
            assert!(agree(tanh[index], fast::tanh(*pre)), "tanh of {pre}");
            assert_eq!(tanh[index], in_place[index], "tanh in place of {pre}");
            assert!(
                agree(sigmoid[index], fast::sigmoid(*pre)),
                "sigmoid of {pre}"
            );
        }
    }
}
