//! Nelder and Mead's simplex search: the derivative-free minimiser that R's `arima` and
//! statsforecast use for small smooth problems such as an ARIMA's few coefficients.

/// Reflection, expansion, contraction and shrink coefficients (the standard ones).
const REFLECT: f64 = 1.0;
const EXPAND: f64 = 2.0;
const CONTRACT: f64 = 0.5;
const SHRINK: f64 = 0.5;

/// How far the search goes before it stops.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    /// The first simplex's step from the start along each axis.
    pub step: f64,
    /// Objective evaluations at most.
    pub max_evaluations: usize,
    /// The search ends when the simplex's values differ by less than this (relative).
    pub tolerance: f64,
}

/// The point near `start` where `objective` is smallest, and its value. A non-finite value
/// counts as worse than every finite one.
pub(super) fn minimise(
    objective: impl Fn(&[f64]) -> f64,
    start: &[f64],
    limits: Limits,
) -> (Vec<f64>, f64) {
    let dims = start.len();
    let value = |point: &[f64]| {
        let v = objective(point);
        if v.is_finite() { v } else { f64::INFINITY }
    };
    let mut simplex: Vec<(Vec<f64>, f64)> = (0..=dims)
        .map(|axis| {
            let mut point = start.to_vec();
            if axis < dims {
                point[axis] += limits.step;
            }
            let v = value(&point);
            (point, v)
        })
        .collect();
    let mut evaluations = dims + 1;
    while evaluations < limits.max_evaluations {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (best, worst) = (simplex[0].1, simplex[dims].1);
        let converged = worst == best
            || (worst - best).abs() <= limits.tolerance * (best.abs() + limits.tolerance);
        if dims == 0 || converged {
            break;
        }
        let centroid: Vec<f64> = (0..dims)
            .map(|i| simplex[..dims].iter().map(|(p, _)| p[i]).sum::<f64>() / dims as f64)
            .collect();
        let towards = |coefficient: f64| -> Vec<f64> {
            (0..dims)
                .map(|i| centroid[i] + coefficient * (simplex[dims].0[i] - centroid[i]))
                .collect()
        };
        let reflected = towards(-REFLECT);
        let reflected_value = value(&reflected);
        evaluations += 1;
        if reflected_value < best {
            let expanded = towards(-EXPAND);
            let expanded_value = value(&expanded);
            evaluations += 1;
            simplex[dims] = match expanded_value < reflected_value {
                true => (expanded, expanded_value),
                false => (reflected, reflected_value),
            };
        } else if reflected_value < simplex[dims - 1].1 {
            simplex[dims] = (reflected, reflected_value);
        } else {
            let contracted = towards(CONTRACT);
            let contracted_value = value(&contracted);
            evaluations += 1;
            if contracted_value < worst {
                simplex[dims] = (contracted, contracted_value);
            } else {
                let best_point = simplex[0].0.clone();
                for (point, v) in simplex.iter_mut().skip(1) {
                    for (x, b) in point.iter_mut().zip(&best_point) {
                        *x = b + SHRINK * (*x - b);
                    }
                    *v = value(point);
                }
                evaluations += dims;
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    simplex.swap_remove(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        step: 0.5,
        max_evaluations: 2_000,
        tolerance: 1e-12,
    };

    #[test]
    fn finds_the_minimum_of_rosenbrocks_valley() {
        let rosenbrock = |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        let (point, value) = minimise(rosenbrock, &[-1.2, 1.0], LIMITS);
        assert!(
            (point[0] - 1.0).abs() < 1e-3 && (point[1] - 1.0).abs() < 1e-3,
            "{point:?}"
        );
        assert!(value < 1e-6);
    }

    #[test]
    fn a_region_where_the_objective_is_undefined_is_avoided() {
        // defined for x > 0 only; the minimum is at x = 2
        let objective = |x: &[f64]| match x[0] > 0.0 {
            true => x[0] - 2.0 * x[0].ln(),
            false => f64::NAN,
        };
        let (point, _) = minimise(objective, &[0.2], LIMITS);
        assert!((point[0] - 2.0).abs() < 1e-3, "{point:?}");
    }

    #[test]
    fn stops_after_its_evaluations_and_handles_no_dimensions() {
        let calls = std::cell::Cell::new(0);
        let objective = |x: &[f64]| {
            calls.set(calls.get() + 1);
            x.iter().map(|v| v * v).sum::<f64>()
        };
        let limits = Limits {
            max_evaluations: 20,
            ..LIMITS
        };
        minimise(objective, &[3.0, -4.0, 5.0], limits);
        assert!(calls.get() <= 20 + 3, "{}", calls.get());
        assert_eq!(minimise(|_| 7.0, &[], LIMITS), (vec![], 7.0));
        assert_eq!(minimise(|_| f64::NAN, &[], LIMITS).1, f64::INFINITY);
        assert_eq!(minimise(|_| f64::INFINITY, &[1.0], LIMITS).1, f64::INFINITY);
    }
}
