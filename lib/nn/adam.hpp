// Adam / AdamW (Kingma & Ba 2015; Loshchilov & Hutter 2019, decoupled weight decay) with
// optional gradient-norm clipping, over any Objective (ensmallen's design, STYLE.md 2).
#pragma once

#include "nn/objective.hpp"

#include <functional>

namespace flowkit::nn {

struct AdamParams
{
    double lr = 1e-3;          ///< step size (--lr), > 0
    double beta1 = 0.9;        ///< first-moment decay (--beta1), in [0, 1)
    double beta2 = 0.999;      ///< second-moment decay (--beta2), in [0, 1)
    double eps = 1e-8;         ///< added to sqrt(v_hat) (--eps), > 0
    double weight_decay = 0.0; ///< decoupled (AdamW): theta *= 1 - lr * weight_decay, >= 0
    double clip = 0.0;         ///< rescale g to norm clip when ||g||_2 > clip; 0 = off, >= 0
    int epochs = 1000;         ///< steps taken by minimize_adam (--epochs), >= 0

    /// Throws UsageError naming the option: "--lr must be > 0 (got -1)".
    void check() const;
};

/// Everything Adam carries from one step to the next (save it to resume exactly).
struct AdamState
{
    Vec m;             ///< first moment, theta's size (empty before the first step)
    Vec v;             ///< second moment
    long long t = 0;   ///< steps taken
};

class Adam
{
public:
    /// Checks params (UsageError).
    explicit Adam(const AdamParams& params);

    /// One step: evaluates f and its gradient g at theta, clips g, then
    /// m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g.^2, theta *= 1 - lr wd,
    /// theta -= lr m_hat ./ (sqrt(v_hat) + eps), m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t).
    /// Returns f(theta) before the step. Throws ComputeError (with the step number) if f or g
    /// is not finite, std::invalid_argument if g's size is not theta's or the state's.
    double step(Objective& f, Vec& theta);

    const AdamParams& params() const { return m_params; }
    /// Sets the step size of the next steps (a schedule's rate); UsageError unless > 0.
    void set_lr(double lr);
    const AdamState& state() const { return m_state; }
    /// Restores a saved state (for resume); its m and v must have equal sizes.
    void set_state(const AdamState& state);
    /// The gradient the last step used, after clipping.
    const Vec& last_gradient() const { return m_grad; }

private:
    AdamParams m_params; // checked
    AdamState m_state;   // moments and step count
    Vec m_grad;          // last (clipped) gradient
};

/// Runs params.epochs Adam steps from theta (overwritten). After step e (1-based) calls
/// callback(e, loss before step e) if given; true stops. Returns the loss at the final theta
/// (one more evaluation).
double minimize_adam(Objective& f, Vec& theta, const AdamParams& params,
                     const std::function<bool(int epoch, double loss)>& callback = {});

} // namespace flowkit::nn
