"""The answer catalogue: correct answers written another way, and wrong answers
students actually write. Run with ``labgrade catalogue``.

Each wrong answer is a small realistic change of the model solution and names
the test cell(s) it must lose and a piece of the hint the student must see.
"""

from __future__ import annotations

from labgrade.variants.model import Answer

C = True   # correct
W = False  # wrong

CORRECT = [
    # ---------------------------------------------------------------- Part 1
    Answer("std_lookup_table", "01", "theoretical_std", C, why="if/elif chain instead of a dict", code="""
        if method == "xavier":
            return (2 / (fan_in + fan_out)) ** 0.5
        elif method == "he":
            return (2 / fan_in) ** 0.5
        elif method == "lecun":
            return 1 / fan_in ** 0.5
        raise ValueError(method)
    """),
    # ---------------------------------------------------------------- Part 2
    Answer("xavier_normal_standard_normal_times_std", "02", "xavier_normal", C,
           why="rng.standard_normal(shape) * std instead of rng.normal(0, std, shape)", code="""
        gen = np.random.default_rng(rng)
        n_out, n_in = shape[0], shape[1]
        receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
        return gen.standard_normal(shape) * np.sqrt(2.0 / ((n_in + n_out) * receptive)) * gain
    """),
    Answer("xavier_normal_row_by_row", "02", "xavier_normal", C,
           why="drawing one row at a time in a loop", code="""
        rng = np.random.default_rng(rng)
        fan_in, fan_out = initlab.compute_fans(shape)
        std = gain * math.sqrt(2.0 / (fan_in + fan_out))
        rows = [rng.normal(0.0, std, size=tuple(shape[1:])) for _ in range(shape[0])]
        return np.stack(rows)
    """),
    Answer("he_normal_float32_cast_back", "02", "he_normal", C,
           why="float32 intermediates, cast back to float64", code="""
        rng = np.random.default_rng(rng)
        fan_in, fan_out = initlab.compute_fans(shape)
        fan = fan_in if mode == "fan_in" else fan_out
        gain = np.float32(np.sqrt(2.0 / (1.0 + negative_slope ** 2)))
        w = rng.standard_normal(tuple(shape), dtype=np.float32) * (gain / np.float32(np.sqrt(fan)))
        return w.astype(np.float64)
    """),
    Answer("he_uniform_via_std", "02", "he_uniform", C,
           why="bound computed as sqrt(3) * std, drawn as a scaled U(0, 1)", code="""
        rng = np.random.default_rng(rng)
        fan_in, fan_out = initlab.compute_fans(shape)
        fan = fan_in if mode == "fan_in" else fan_out
        std = math.sqrt(2.0 / (1.0 + negative_slope ** 2)) / math.sqrt(fan)
        bound = math.sqrt(3.0) * std
        return (2.0 * rng.random(tuple(shape)) - 1.0) * bound
    """),
    Answer("lecun_normal_reversed_draw_order", "02", "lecun_normal", C,
           why="draws the transpose and transposes back (another order of draws)", code="""
        rng = np.random.default_rng(rng)
        fan_in, _ = initlab.compute_fans(shape)
        flat = rng.normal(0.0, 1.0 / math.sqrt(fan_in), size=tuple(reversed(shape)))
        return np.ascontiguousarray(flat.T)
    """),
    Answer("orthogonal_by_svd", "02", "orthogonal", C,
           why="orthogonal factor from an SVD with a random sign flip (Haar as well)", code="""
        rng = np.random.default_rng(rng)
        rows, cols = shape[0], math.prod(shape[1:])
        a = rng.standard_normal((rows, cols))
        u, _, vt = np.linalg.svd(a, full_matrices=False)
        q = u @ vt                      # polar factor of a Gaussian matrix: Haar distributed
        return gain * q.reshape(tuple(shape))
    """),
    # ---------------------------------------------------------------- Part 4
    Answer("layer_statistics_loops", "04", "layer_statistics", C,
           why="explicit loops over units for the dead count, statistics by hand", code="""
        n = Z.size
        mean_z = Z.sum() / n
        std_z = (((Z - mean_z) ** 2).sum() / n) ** 0.5
        mean_a = A.sum() / A.size
        std_a = (((A - mean_a) ** 2).sum() / A.size) ** 0.5
        dead = 0
        for row in A:
            if not np.any(row != 0):
                dead += 1
        return {
            "pre_activation": {"mean": float(mean_z), "std": float(std_z),
                               "min": float(np.min(Z)), "max": float(np.max(Z))},
            "post_activation": {"mean": float(mean_a), "std": float(std_a),
                                "min": float(np.min(A)), "max": float(np.max(A)),
                                "fraction_zero": float(np.count_nonzero(A == 0) / A.size),
                                "fraction_dead": dead / A.shape[0]},
        }
    """),
    # ---------------------------------------------------------------- Part 6
    Answer("backprop_output_from_logits", "06", "backward_propagation", C,
           why="dZ_L = sigmoid(Z_L) - Y recomputed from the logits (stable form), loops with str keys", code="""
        L = len([k for k in parameters if k[0] == "W"])
        m = Y.shape[1]
        ZL = cache["Z" + str(L)]
        dZ = np.where(ZL >= 0, 1 / (1 + np.exp(-np.abs(ZL))), np.exp(-np.abs(ZL)) / (1 + np.exp(-np.abs(ZL)))) - Y
        grads = {}
        for l in reversed(range(1, L + 1)):
            grads["dW" + str(l)] = np.dot(dZ, cache["A" + str(l - 1)].T) / m
            grads["db" + str(l)] = dZ.mean(axis=1, keepdims=True)
            if l > 1:
                Zp = cache["Z" + str(l - 1)]
                d = (Zp > 0).astype(float) if activation == "relu" else initlab.activation_derivative(Zp, activation)
                dZ = np.dot(parameters["W" + str(l)].T, dZ) * d
        return grads
    """),
    # ---------------------------------------------------------------- Part 7
    Answer("stability_by_hand", "07", "stability", C,
           why="population std written out", code="""
        last = list(test_accuracies)[-window:]
        mu = sum(last) / len(last)
        return (sum((a - mu) ** 2 for a in last) / len(last)) ** 0.5
    """),
    # ---------------------------------------------------------------- Part 8
    Answer("spectral_norm_by_singular_values_only", "08", "spectral_norm_init", C,
           why="largest singular value from svd(compute_uv=False)", code="""
        gen = np.random.default_rng(rng)
        G = gen.normal(size=shape)
        return spectral_radius * G / np.linalg.svd(G, compute_uv=False)[0]
    """),
    Answer("adaptive_he_if_chain", "08", "adaptive_he", C,
           why="gain from an if/elif chain, variance computed first", code="""
        gen = np.random.default_rng(rng)
        activation = activation.strip().lower() if isinstance(activation, str) else activation
        if activation == "relu":
            gain2 = 2.0
        elif activation == "leaky_relu":
            gain2 = 2.0 / (1 + negative_slope * negative_slope)
        elif activation == "tanh":
            gain2 = 25.0 / 9.0
        elif activation in ("sigmoid", "linear"):
            gain2 = 1.0
        elif activation == "selu":
            gain2 = 9.0 / 16.0
        else:
            raise ValueError(f"unknown activation {activation!r}")
        fan_in = int(np.prod(shape[1:]))
        variance = gain2 / fan_in / (1 + 0.1 * layer_depth)
        return gen.normal(0.0, np.sqrt(variance), size=shape)
    """),
    # ---------------------------------------------------------------- Part 10
    Answer("choose_initializer_lookup_table", "10", "choose_initializer", C,
           why="a lookup table instead of nested ifs", code="""
        if not isinstance(activation, str):
            raise TypeError(f"activation must be a str, got {activation!r}")
        if isinstance(num_hidden, bool) or not isinstance(num_hidden, (int, np.integer)):
            raise TypeError(f"num_hidden must be an int, got {num_hidden!r}")
        if num_hidden < 0:
            raise ValueError(f"num_hidden must be >= 0, got {num_hidden!r}")
        if recurrent:
            return "orthogonal"
        table = {"relu": "he_normal", "leaky_relu": "he_normal", "elu": "he_normal",
                 "sigmoid": "xavier_normal", "tanh": "xavier_normal", "selu": "lecun_normal"}
        return table.get(activation.strip().lower(), "variance_scaling")
    """),
    Answer("variance_scaling_truncnorm_by_inverse_cdf", "02", "variance_scaling", C,
           why="truncated normal by inverse CDF (scipy) instead of rejection", code="""
        from scipy import stats
        rng = np.random.default_rng(rng)
        fan_in, fan_out = initlab.compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}.get(mode)
        if n is None:
            raise ValueError(f"unknown mode {mode!r}")
        std = math.sqrt(scale / n)
        if distribution == "normal":
            return rng.standard_normal(tuple(shape)) * std
        if distribution == "uniform":
            return rng.uniform(-math.sqrt(3) * std, math.sqrt(3) * std, size=tuple(shape))
        if distribution == "truncated_normal":
            sigma = std / 0.87962566103423978
            return stats.truncnorm.rvs(-2, 2, scale=sigma, size=tuple(shape), random_state=rng)
        raise ValueError(f"unknown distribution {distribution!r}")
    """),
    # ---------------------------------------------------------------- Parts 7-10: written another way
    Answer("convergence_epochs_numpy_argmax", "07", "convergence_epochs", C,
           why="numpy arrays and argmax, ints converted at the end", code="""
        finals = np.array([np.asarray(h["test_accuracies"], dtype=float)[-1] for h in training_results.values()])
        target = fraction * finals.max()
        out = {}
        for method, h in training_results.items():
            hit = np.asarray(h["test_accuracies"], dtype=float) >= target
            out[method] = int(np.argmax(hit)) if hit.any() else None
        return out
    """),
    Answer("adaptive_he_value_error_subclass", "08", "adaptive_he", C,
           why="raises its own ValueError subclass; gain from initlab.calculate_gain", code="""
        class UnknownActivationError(ValueError):
            pass

        known = ("relu", "leaky_relu", "tanh", "sigmoid", "linear", "selu")
        name = activation.strip().lower() if isinstance(activation, str) else None
        if name not in known:
            raise UnknownActivationError(f"unknown activation {activation!r}")
        gain = initlab.calculate_gain(name, negative_slope if name == "leaky_relu" else None)
        fan_in, _ = initlab.compute_fans(shape)
        gen = np.random.default_rng(rng)
        return gen.standard_normal(shape) * (gain / np.sqrt(fan_in) / np.sqrt(1.0 + 0.1 * layer_depth))
    """),
    Answer("analyze_network_ordered_dict_numpy", "09", "analyze_network", C,
           why="an OrderedDict built with numpy, plain values converted; tuples accepted", code="""
        from collections import OrderedDict

        if not isinstance(layer_dims, (list, tuple)) or len(layer_dims) < 2:
            raise ValueError(f"layer_dims must be a list or tuple of at least two widths, got {layer_dims!r}")
        if any(isinstance(w, bool) or not isinstance(w, (int, np.integer)) or w <= 0 for w in layer_dims):
            raise ValueError(f"layer_dims must hold positive ints, got {layer_dims!r}")
        if not isinstance(activation, str):
            raise TypeError("activation must be a string")
        dims = np.array(layer_dims, dtype=np.int64)
        hidden = dims[1:-1]
        ratios = (hidden[1:] / hidden[:-1]).tolist()
        nh = len(dims) - 2
        found = OrderedDict([
            ("wide_layers", hidden.size > 0 and hidden.max() > 1000),
            ("narrow_bottleneck", hidden.size > 0 and hidden.min() < 10),
            ("very_deep", nh > 20),
            ("irregular_width", bool(ratios) and (max(ratios) > 10 or min(ratios) < 0.1)),
        ])
        return OrderedDict(
            depth_category="shallow" if nh <= 3 else "deep" if nh <= 10 else "very_deep",
            num_hidden=nh,
            total_params=int(np.sum(dims[:-1] * dims[1:] + dims[1:])),
            issues=[k for k, v in found.items() if v],
            width_ratios=ratios,
        )
    """),
    Answer("recommend_value_error_subclass_and_table_loop", "09", "recommend_initialization", C,
           why="its own ValueError subclass for a bad activation type check, advice from a loop", code="""
        class BadArgumentError(ValueError):
            pass

        if not isinstance(activation, str):
            raise BadArgumentError(f"activation must be a string, got {activation!r}")
        analysis = analyze_network(layer_dims, activation)
        name = activation.strip().lower()
        method = RECOMMENDATIONS.get(name, DEFAULT_METHOD)
        advice = [TANH_ADVICE] if name == "tanh" else []
        advice += [ADVICE[k] for k in ("wide_layers", "narrow_bottleneck", "irregular_width", "very_deep")
                   if k in analysis["issues"]]
        confidence = 0.8 + (0.1 if name in ("relu", "sigmoid", "tanh") else 0.0)
        confidence -= 0.2 if len(analysis["issues"]) > 2 else 0.0
        return {"method": method, "confidence": min(max(confidence, 0.3), 0.95),
                "alternatives": list(ALTERNATIVES[method]), "advice": advice, "analysis": analysis}
    """),
    Answer("choose_initializer_helper_cell", "10", "choose_initializer", C,
           why="a helper defined in an extra cell between the solution and its test", helper="""
        def _tree_leaf(name):
            for family, leaf in ((("relu", "leaky_relu", "elu"), "he_normal"),
                                 (("sigmoid", "tanh"), "xavier_normal"), (("selu",), "lecun_normal")):
                if name in family:
                    return leaf
            return "variance_scaling"
    """, code="""
        if not isinstance(activation, str):
            raise TypeError("activation must be a string")
        if isinstance(num_hidden, bool) or not isinstance(num_hidden, (int, np.integer)) or num_hidden < 0:
            raise ValueError(f"num_hidden must be an int >= 0, got {num_hidden!r}")
        return "orthogonal" if recurrent else _tree_leaf(activation.strip().lower())
    """),
    # ----------------------------------------- Parts 1-5: mistakes students make that earlier tests let through
    Answer("bound_uses_math_from_test_cell", "01", "uniform_bound", C,
           why="math.sqrt without importing math: the visible test of Exercise 1.1 imported it", code="""
        variances = {"xavier": 2 / (fan_in + fan_out), "he": 2 / fan_in, "lecun": 1 / fan_in}
        if method not in variances:
            raise ValueError(f"unknown method {method!r}")
        return math.sqrt(3 * variances[method])
    """),
    Answer("orthogonal_gram_schmidt", "02", "orthogonal", C,
           why="Gram-Schmidt on a Gaussian matrix (positive diagonal of R: Haar), in loops", code="""
        rng = np.random.default_rng(rng)
        shape = tuple(shape)
        rows, cols = shape[0], math.prod(shape[1:])
        n, k = max(rows, cols), min(rows, cols)
        a = rng.standard_normal((n, k))
        q = np.zeros((n, k))
        for j in range(k):
            v = a[:, j].copy()
            for i in range(j):
                v -= (q[:, i] @ a[:, j]) * q[:, i]
            for i in range(j):                       # second pass for numerical orthogonality
                v -= (q[:, i] @ v) * q[:, i]
            q[:, j] = v / np.linalg.norm(v)
        if rows < cols:
            q = q.T
        return gain * q.reshape(shape)
    """),
    Answer("vs_fan_avg_by_np_mean", "02", "variance_scaling", C,
           why="fan_avg as np.mean([fan_in, fan_out]), branches by if/elif", subs=[
               ('"fan_avg": (fan_in + fan_out) / 2.0', '"fan_avg": float(np.mean([fan_in, fan_out]))')]),
    Answer("layer_statistics_not_any", "04", "layer_statistics", C,
           why="dead units as rows with no non-zero entry (~A.any(axis=1))", subs=[
               ('"fraction_dead": float(zero.all(axis=1).mean())',
                '"fraction_dead": float(np.mean(~A.any(axis=1)))')]),
    Answer("variance_ratios_accepts_tuple", "05", "variance_ratios", C,
           why="unpacks the pre-activations ([X, *pre_activations]): a tuple works as the spec allows", code="""
        arrays = [X, *pre_activations]
        v = [np.asarray(a, dtype=float).var() for a in arrays]
        return [float(v[i + 1] / v[i]) for i in range(len(v) - 1)]
    """),
]

WRONG = [
    # ---------------------------------------------------------------- Part 1
    Answer("std_returns_variance", "01", "theoretical_std", W, ("test_theoretical_std",),
           "variance", subs=[("return float(np.sqrt(variances[method]))", "return float(variances[method])")]),
    Answer("std_xavier_is_lecun", "01", "theoretical_std", W, ("test_theoretical_std",),
           "lecun", subs=[('"xavier": 2.0 / (fan_in + fan_out)', '"xavier": 1.0 / fan_in')]),
    Answer("bound_sqrt3_over_n", "01", "uniform_bound", W, ("test_uniform_bound",),
           "sqrt(3", subs=[("np.sqrt(3.0 * variances[method])", "np.sqrt(1.5 * variances[method])")]),
    # ---------------------------------------------------------------- Part 2
    Answer("xavier_normal_variance_as_std", "02", "xavier_normal", W, ("test_xavier_normal",),
           "variance", subs=[("gain * math.sqrt(2.0 / (fan_in + fan_out))", "gain * (2.0 / (fan_in + fan_out))")]),
    Answer("xavier_normal_ignores_gain", "02", "xavier_normal", W, ("test_xavier_normal",),
           "gain", subs=[("std = gain * math.sqrt", "std = math.sqrt")]),
    Answer("xavier_uniform_sqrt3", "02", "xavier_uniform", W, ("test_xavier_uniform",),
           "sqrt(3", subs=[("math.sqrt(6.0 / (fan_in + fan_out))", "math.sqrt(3.0 / (fan_in + fan_out))")]),
    Answer("he_normal_fan_out", "02", "he_normal", W, ("test_he_normal",),
           "fan", subs=[('fan = {"fan_in": fan_in, "fan_out": fan_out}[mode]',
                         'fan = {"fan_in": fan_out, "fan_out": fan_in}[mode]')]),
    Answer("he_normal_ignores_slope", "02", "he_normal", W, ("test_he_normal",),
           "slope", subs=[("(1.0 + negative_slope**2) * fan", "fan")]),
    Answer("he_normal_global_random_state", "02", "he_normal", W, ("test_he_normal",),
           "global", subs=[("return rng.normal(0.0, std, size=tuple(shape))",
                            "return np.random.randn(*shape) * std")]),
    Answer("he_uniform_bound_is_std", "02", "he_uniform", W, ("test_he_uniform",),
           "as the bound", subs=[("math.sqrt(6.0 / ((1.0 + negative_slope**2) * fan))",
                            "math.sqrt(2.0 / ((1.0 + negative_slope**2) * fan))")]),
    Answer("lecun_normal_uses_fan_out", "02", "lecun_normal", W, ("test_lecun_normal",),
           "fan", subs=[("fan_in, _ = initlab.compute_fans(shape)", "_, fan_in = initlab.compute_fans(shape)")]),
    Answer("lecun_uniform_sqrt6", "02", "lecun_uniform", W, ("test_lecun_uniform",),
           "bound", subs=[("math.sqrt(3.0 / fan_in)", "math.sqrt(6.0 / fan_in)")]),
    Answer("orthogonal_no_sign_correction", "02", "orthogonal", W, ("test_orthogonal",),
           "sign(diag(R))", subs=[("q = q * np.where(np.diag(r) < 0, -1.0, 1.0)", "q = q")]),
    Answer("orthogonal_ignores_gain", "02", "orthogonal", W, ("test_orthogonal",),
           "gain", subs=[("return gain * q.reshape(shape)", "return q.reshape(shape)")]),
    Answer("orthogonal_unnormalized", "02", "orthogonal", W, ("test_orthogonal",),
           "orthonormal", subs=[("q, r = np.linalg.qr(a)", "q, r = a, np.linalg.qr(a)[1]")]),
    Answer("orthogonal_delegates_to_initlab", "02", "orthogonal", W, ("test_orthogonal",),
           "initlab", code="return initlab.WeightInitializer.orthogonal(shape, gain, rng=rng)"),
    Answer("vs_truncated_uncorrected", "02", "variance_scaling", W, ("test_variance_scaling",),
           "0.8796", subs=[("z * (math.sqrt(variance) / 0.87962566103423978)", "z * math.sqrt(variance)")]),
    Answer("vs_fan_avg_is_sum", "02", "variance_scaling", W, ("test_variance_scaling",),
           "fan_avg", subs=[('"fan_avg": (fan_in + fan_out) / 2.0', '"fan_avg": fan_in + fan_out')]),
    Answer("vs_uniform_bound_is_std", "02", "variance_scaling", W, ("test_variance_scaling",),
           "as the bound", subs=[("bound = math.sqrt(3.0 * variance)", "bound = math.sqrt(variance)")]),
    # ---------------------------------------------------------------- Part 8
    Answer("adaptive_he_ignores_activation", "08", "adaptive_he", W, ("test_adaptive_he",),
           "activation", subs=[("std = gains[name] /", "std = np.sqrt(2.0) /")]),
    Answer("adaptive_he_depth_not_rooted", "08", "adaptive_he", W, ("test_adaptive_he",),
           "sqrt(1 + 0.1", subs=[("/ np.sqrt(1.0 + 0.1 * layer_depth)", "/ (1.0 + 0.1 * layer_depth)")]),
    Answer("spectral_norm_frobenius", "08", "spectral_norm_init", W, ("test_spectral_norm_init",),
           "frobenius", subs=[("np.linalg.norm(G, 2)", "np.linalg.norm(G)")]),
    Answer("spectral_norm_full_svd", "08", "spectral_norm_init", W, ("test_spectral_norm_init",),
           "full SVD", subs=[("np.linalg.norm(G, 2)", "np.linalg.svd(G)[1][0]")]),
    # ---------------------------------------------------------------- Part 9
    Answer("analyze_depth_off_by_one", "09", "analyze_network", W,
           ("test_analyze_network", "test_recommend_initialization"), "threshold",
           subs=[("if num_hidden <= 3:", "if num_hidden < 3:")]),
    Answer("analyze_wide_non_strict", "09", "analyze_network", W,
           ("test_analyze_network", "test_recommend_initialization"), ">=",
           subs=[("if hidden and max(hidden) > 1000:", "if hidden and max(hidden) >= 1000:")]),
    Answer("analyze_includes_input_ratio", "09", "analyze_network", W,
           ("test_analyze_network", "test_recommend_initialization"), "left out",
           why="the lab's ratios: the input -> first hidden step included",
           subs=[("width_ratios = [hidden[i + 1] / hidden[i] for i in range(len(hidden) - 1)]",
                  "width_ratios = [dims[i + 1] / dims[i] for i in range(len(dims) - 2)]")]),
    Answer("recommend_advice_order", "09", "recommend_initialization", W, ("test_recommend_initialization",),
           "advice", subs=[(
               '    if "narrow_bottleneck" in issues:\n        advice.append(ADVICE["narrow_bottleneck"])\n', ""), (
               '    if "very_deep" in issues:\n        advice.append(ADVICE["very_deep"])',
               '    if "very_deep" in issues:\n        advice.append(ADVICE["very_deep"])\n'
               '    if "narrow_bottleneck" in issues:\n        advice.append(ADVICE["narrow_bottleneck"])')]),
    Answer("recommend_confidence_two_issues", "09", "recommend_initialization", W,
           ("test_recommend_initialization",), "two",
           subs=[("if len(issues) > 2:", "if len(issues) >= 2:")]),
    # ---------------------------------------------------------------- Part 10
    Answer("choose_lab_adaptive_he", "10", "choose_initializer", W, ("test_choose_initializer",),
           "adaptive_he", why="the original lab's tree: adaptive_he beyond 10 hidden layers",
           subs=[('        return "he_normal"\n',
                  '        return "he_normal" if num_hidden <= 10 else "adaptive_he"\n')]),
    Answer("choose_ignores_recurrent", "10", "choose_initializer", W, ("test_choose_initializer",),
           "recurrent", subs=[('    if recurrent:\n        return "orthogonal"\n', "")]),
    # ---------------------------------------------------------------- Part 4
    Answer("layer_statistics_dead_is_zero_fraction", "04", "layer_statistics", W, ("test_layer_statistics",),
           "dead", subs=[('"fraction_dead": float(zero.all(axis=1).mean())', '"fraction_dead": float(zero.mean())')]),
    # ---------------------------------------------------------------- Part 5
    Answer("variance_ratios_of_stds", "05", "variance_ratios", W, ("test_variance_ratios",),
           "standard deviation", subs=[("return [cur / prev for", "return [(cur / prev) ** 0.5 for")]),
    Answer("variance_ratios_input_assumed_one", "05", "variance_ratios", W, ("test_variance_ratios",),
           "Var(X) = 1", subs=[("variances = [float(np.var(X))]", "variances = [1.0]")]),
    # ---------------------------------------------------------------- Part 6
    Answer("backprop_dw_not_divided_by_m", "06", "backward_propagation", W,
           ("test_backprop_output_layer", "test_backprop_hidden_layers", "test_backprop_gradient_check"), "m",
           subs=[('grads[f"dW{l}"] = dZ @ A_prev.T / m', 'grads[f"dW{l}"] = dZ @ A_prev.T')]),
    Answer("backprop_db_wrong_axis", "06", "backward_propagation", W,
           ("test_backprop_output_layer", "test_backprop_hidden_layers", "test_backprop_gradient_check"), "axis",
           subs=[("np.sum(dZ, axis=1, keepdims=True) / m", "np.sum(dZ, axis=0, keepdims=True) / m")]),
    Answer("backprop_forgets_derivative", "06", "backward_propagation", W,
           ("test_backprop_hidden_layers", "test_backprop_gradient_check"), "derivative",
           subs=[('dZ = dA_prev * initlab.activation_derivative(cache[f"Z{l - 1}"], activation)', "dZ = dA_prev")]),
    Answer("backprop_derivative_at_A", "06", "backward_propagation", W,
           ("test_backprop_hidden_layers", "test_backprop_gradient_check"), "at A_(l-1) instead of Z_(l-1)",
           subs=[('initlab.activation_derivative(cache[f"Z{l - 1}"], activation)',
                  'initlab.activation_derivative(cache[f"A{l - 1}"], activation)')]),
    # ---------------------------------------------------------------- Part 7
    Answer("convergence_own_final_target", "07", "convergence_epochs", W, ("test_convergence_epochs",),
           "own", subs=[('target = fraction * max(float(h["test_accuracies"][-1]) for h in training_results.values())',
                         'target = None')]
           + [('        for epoch, acc in enumerate(history["test_accuracies"]):',
               '        target = fraction * float(history["test_accuracies"][-1])\n'
               '        for epoch, acc in enumerate(history["test_accuracies"]):')]),
    Answer("stability_is_inverse_variance", "07", "stability", W, ("test_stability",),
           "1 / (variance", subs=[("return float(np.std(values))", "return float(1.0 / (np.var(values) + 1e-8))")]),
    # ---------------------------------------------------------------- Parts 7-10: hints and name rules
    Answer("convergence_zero_for_never", "07", "convergence_epochs", W, ("test_convergence_epochs",),
           "returned 0", why="0 instead of None for a method that never reaches the target",
           subs=[("        result[method] = None\n", "        result[method] = 0\n")]),
    Answer("adaptive_he_case_sensitive", "08", "adaptive_he", W, ("test_adaptive_he",),
           "case-insensitive", why="'ReLU' refused: names compared as given",
           subs=[("name = activation.strip().lower() if isinstance(activation, str) else None",
                  "name = activation if isinstance(activation, str) else None")]),
    Answer("analyze_wide_counts_input", "09", "analyze_network", W,
           ("test_analyze_network", "test_recommend_initialization"), "input width",
           why="the lab's rule: a 3072-pixel input is a wide layer",
           subs=[("if hidden and max(hidden) > 1000:", "if max(dims) > 1000:")]),
    Answer("recommend_no_strip", "09", "recommend_initialization", W, ("test_recommend_initialization",),
           "spaces around", why="' relu ' not recognized: lower() without strip()",
           subs=[("    name = activation.strip().lower()\n", "    name = activation.lower()\n")]),
    Answer("choose_no_strip", "10", "choose_initializer", W, ("test_choose_initializer",),
           "spaces", why="' relu ' not recognized: lower() without strip()",
           subs=[("    name = activation.strip().lower()\n", "    name = activation.lower()\n")]),
]

# Answers that differ from the model answer in how they use the notebook around them (names from
# visible test cells, an edited import cell, a helper cell, their own exception class, containers
# that are not exactly dict/list/float, output, warnings): the differential test
# (labgrade.variants.differential) grades them with and without the sandbox.
FAITHFUL = [
    Answer("uniform_bound_math_from_a_test_cell", "01", "uniform_bound", C,
           why="uses math, which only the visible test cell above imported", code="""
        variances = {"xavier": 2.0 / (fan_in + fan_out), "he": 2.0 / fan_in, "lecun": 1.0 / fan_in}
        if method not in variances:
            raise ValueError(method)
        return math.sqrt(3.0 * variances[method])
    """),
    Answer("theoretical_std_import_cell_edited", "01", "theoretical_std", C,
           why="imports math as m in the notebook's import cell", imports="import math as m", code="""
        table = {"xavier": 2.0 / (fan_in + fan_out), "he": 2.0 / fan_in, "lecun": 1.0 / fan_in}
        if method not in table:
            raise ValueError(f"unknown method {method!r}")
        return m.sqrt(table[method])
    """),
    Answer("theoretical_std_helper_cell_before_the_test", "01", "theoretical_std", C,
           why="a helper cell added between the solution and its test", helper="""
        def _variance(method, fan_in, fan_out):
            rules = {"xavier": 2.0 / (fan_in + fan_out), "he": 2.0 / fan_in, "lecun": 1.0 / fan_in}
            if method not in rules:
                raise ValueError(f"unknown method {method!r}")
            return rules[method]
    """, code="""
        return float(np.sqrt(_variance(method, fan_in, fan_out)))
    """),
    Answer("theoretical_std_value_error_subclass", "01", "theoretical_std", C,
           why="raises its own ValueError subclass for an unknown method", code="""
        class UnknownMethodError(ValueError):
            pass

        variances = {"xavier": 2.0 / (fan_in + fan_out), "he": 2.0 / fan_in, "lecun": 1.0 / fan_in}
        if method not in variances:
            raise UnknownMethodError(f"unknown method {method!r}")
        return float(np.sqrt(variances[method]))
    """),
    Answer("theoretical_std_float_subclass_and_print", "01", "theoretical_std", C,
           why="returns a float subclass and prints while it works", code="""
        class Std(float):
            pass

        variances = {"xavier": 2.0 / (fan_in + fan_out), "he": 2.0 / fan_in, "lecun": 1.0 / fan_in}
        if method not in variances:
            raise ValueError(method)
        print("computing", method, fan_in, fan_out)
        return Std(np.sqrt(variances[method]))
    """),
    Answer("theoretical_std_warns", "01", "theoretical_std", W, ("test_theoretical_std",), "",
           why="issues a warning (stderr in a test cell costs the item in nbgrader)", code="""
        import warnings

        warnings.warn("about to compute a standard deviation")
        variances = {"xavier": 2.0 / (fan_in + fan_out), "he": 2.0 / fan_in, "lecun": 1.0 / fan_in}
        if method not in variances:
            raise ValueError(method)
        return float(np.sqrt(variances[method]))
    """),
    Answer("layer_statistics_ordered_dicts", "04", "layer_statistics", C,
           why="returns OrderedDicts", code="""
        from collections import OrderedDict

        Z = np.asarray(Z, dtype=np.float64)
        A = np.asarray(A, dtype=np.float64)
        zero = A == 0
        pre = OrderedDict(mean=Z.mean(), std=Z.std(), min=Z.min(), max=Z.max())
        post = OrderedDict(mean=A.mean(), std=A.std(), min=A.min(), max=A.max(),
                           fraction_zero=zero.mean(), fraction_dead=zero.all(axis=1).mean())
        return OrderedDict(pre_activation=pre, post_activation=post)
    """),
    Answer("uniform_bound_timeit_cell", "01", "uniform_bound", C,
           why="a helper cell after the solution times it with IPython's %timeit magic",
           helper="%timeit -n 1 -r 1 uniform_bound('he', 128, 64)", code="""
        variances = {"xavier": 2.0 / (fan_in + fan_out), "he": 2.0 / fan_in, "lecun": 1.0 / fan_in}
        if method not in variances:
            raise ValueError(method)
        return float(np.sqrt(3.0 * variances[method]))
    """),
    Answer("backprop_overwrites_the_cache", "06", "backward_propagation", W,
           ("test_backprop_hidden_layers",), "modified cache",
           why="reuses the cache's arrays in place (dZ written into A_L): the caller's cache changes",
           subs=[('    dZ = cache[f"A{L}"] - Y\n', '    dZ = cache[f"A{L}"]\n    dZ -= Y\n')]),
    Answer("variance_ratios_list_subclass", "05", "variance_ratios", C,
           why="returns a list subclass", code="""
        class Ratios(list):
            pass

        variances = [float(np.var(X))] + [float(np.var(Z)) for Z in pre_activations]
        return Ratios(cur / prev for prev, cur in zip(variances[:-1], variances[1:]))
    """),
    # ----------------------------------------- Parts 2, 4, 5: wrong samplers only a statistical check catches
    Answer("orthogonal_qr_of_uniform", "02", "orthogonal", W, ("test_orthogonal",),
           "uniformly distributed directions",
           subs=[("a = rng.standard_normal((max(rows, cols), min(rows, cols)))",
                  "a = rng.uniform(-1.0, 1.0, size=(max(rows, cols), min(rows, cols)))")]),
    Answer("orthogonal_qr_of_rand", "02", "orthogonal", W, ("test_orthogonal",), "same sign",
           subs=[("a = rng.standard_normal((max(rows, cols), min(rows, cols)))",
                  "a = rng.random((max(rows, cols), min(rows, cols)))")]),
    Answer("orthogonal_svd_original", "02", "orthogonal", W, ("test_orthogonal",), "Haar",
           why="the original lab's initializer: u or v of an SVD (Haar only for wide shapes)", code="""
        rng = np.random.default_rng(rng)
        shape = tuple(shape)
        flat = (shape[0], math.prod(shape[1:]))
        u, _, v = np.linalg.svd(rng.standard_normal(flat), full_matrices=False)
        q = u if u.shape == flat else v
        return gain * q.reshape(shape)
    """),
    Answer("he_normal_truncated_keras", "02", "he_normal", W, ("test_he_normal",), "truncated",
           why="Keras' HeNormal: truncated at 2 sigma with the 0.8796 correction (same std, no tails)", code="""
        rng = np.random.default_rng(rng)
        fan_in, fan_out = initlab.compute_fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out}[mode]
        std = math.sqrt(2.0 / ((1.0 + negative_slope**2) * fan))
        z = rng.standard_normal(tuple(shape))
        out = np.abs(z) > 2.0
        while out.any():
            z[out] = rng.standard_normal(int(out.sum()))
            out = np.abs(z) > 2.0
        return z * (std / 0.87962566103423978)
    """),
    Answer("vs_fan_avg_integer_division", "02", "variance_scaling", W, ("test_variance_scaling",),
           "integer division",
           subs=[('"fan_avg": (fan_in + fan_out) / 2.0', '"fan_avg": (fan_in + fan_out) // 2')]),
    Answer("layer_statistics_dead_le_zero", "04", "layer_statistics", W, ("test_layer_statistics",),
           "<= 0 for every sample",
           subs=[('"fraction_dead": float(zero.all(axis=1).mean())',
                  '"fraction_dead": float((A <= 0).all(axis=1).mean())')]),
    Answer("layer_statistics_zero_le_zero", "04", "layer_statistics", W, ("test_layer_statistics",),
           "negative activations", subs=[('"fraction_zero": float(zero.mean())',
                                          '"fraction_zero": float((A <= 0).mean())')]),
    Answer("variance_ratios_list_concat", "05", "variance_ratios", W, ("test_variance_ratios",), "tuple",
           why="[X] + pre_activations: refuses the tuple the spec allows",
           subs=[("variances = [float(np.var(X))] + [float(np.var(Z)) for Z in pre_activations]",
                  "variances = [float(np.var(Z)) for Z in [X] + pre_activations]")]),
]

ANSWERS = CORRECT + WRONG + FAITHFUL
