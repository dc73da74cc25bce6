"""Typical wrong answers to assignment 1 and the test cells each one must fail.

tests/test_mistakes.py runs every entry against the instructor notebook (hidden tests included)
and requires exactly the listed test cells to fail. DEMO names the wrong answer of the demo
class's student carol, and the exact autograded scores the demo class must get.
"""

MISTAKES = {
    "sign flipped: N - M": {
        "cell": "subtract_three_ways",
        "hint": "Check the order of the operands: which tensor is subtracted from which?",
        "code": """def subtract_three_ways(M, N):
    difference = N - M
    via_function = torch.sub(N, M)
    try:
        inplace = M.clone().sub_(N)
    except RuntimeError as err:
        inplace = err
    return difference, via_function, inplace""",
        "fails": {"test_subtract_values"},
    },
    "in-place on M itself (forgot the copy)": {
        "cell": "subtract_three_ways",
        "hint": "An in-place operation changes the tensor it is called on. Does the caller's M look the same after your function returns?",
        "code": """def subtract_three_ways(M, N):
    difference = M - N
    via_function = torch.sub(M, N)
    try:
        inplace = M.sub_(N)
    except RuntimeError as err:
        inplace = err
    return difference, via_function, inplace""",
        "fails": {"test_subtract_inplace"},
    },
    "error message returned as a string": {
        "cell": "subtract_three_ways",
        "hint": "The test wants the exception object itself, not a description of it.",
        "code": """def subtract_three_ways(M, N):
    try:
        inplace = M.clone().sub_(N)
    except RuntimeError as err:
        inplace = str(err)
    return M - N, torch.sub(M, N), inplace""",
        "fails": {"test_subtract_inplace"},
    },
    "in-place assumed always impossible": {
        "cell": "subtract_three_ways",
        "hint": "Run the in-place subtraction for the shapes you are given, and return exactly what torch did: its result, or the very error it raised.",
        "code": """def subtract_three_ways(M, N):
    return M - N, torch.sub(M, N), RuntimeError("output shape does not match")""",
        "fails": {"test_subtract_inplace"},
    },
    "variance instead of standard deviation": {
        "cell": "normal_matrix",
        "hint": "Multiplying standard normal draws by a number sets their standard deviation. Which number?",
        "code": """def normal_matrix(rows, cols, std, seed):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(rows, cols, generator=generator) * std ** 2""",
        "fails": {"test_normal_seed", "test_normal_stats"},
    },
    "uniform instead of normal": {
        "cell": "normal_matrix",
        "hint": "torch.rand and torch.randn draw from different distributions: which one does the exercise ask for?",
        "code": """def normal_matrix(rows, cols, std, seed):
    generator = torch.Generator().manual_seed(seed)
    return (torch.rand(rows, cols, generator=generator) - 0.5) * std * 12 ** 0.5""",
        "fails": {"test_normal_seed", "test_normal_stats"},
    },
    "seeds the global generator": {
        "cell": "normal_matrix",
        "hint": "Seeding torch's global random state changes it for everyone else: give your draw a generator of its own.",
        "code": """def normal_matrix(rows, cols, std, seed):
    torch.manual_seed(seed)
    return torch.randn(rows, cols) * std""",
        "fails": {"test_normal_seed"},
    },
    "ignores the seed": {
        "cell": "normal_matrix",
        "hint": "The same seed should give the same matrix, and another seed another one. Where does your generator get its seed?",
        "code": """def normal_matrix(rows, cols, std, seed):
    return torch.randn(rows, cols, generator=torch.Generator()) * std""",
        "fails": {"test_normal_seed", "test_normal_stats"},
    },
    "rows and columns swapped": {
        "cell": "normal_matrix",
        "hint": "Print the shape of your result and compare it with what the exercise asks for.",
        "code": """def normal_matrix(rows, cols, std, seed):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(cols, rows, generator=generator) * std""",
        "fails": {"test_normal_seed"},
    },
    "float64 matrix": {
        "cell": "normal_matrix",
        "hint": "Look at the dtype of your result: the exercise expects torch's default floating-point type.",
        "code": """def normal_matrix(rows, cols, std, seed):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(rows, cols, generator=generator, dtype=torch.float64) * std""",
        "fails": {"test_normal_seed", "test_normal_stats"},
    },
    "product in the wrong order: Q @ P.T": {
        "cell": "pairwise_dots",
        "hint": "Entry (i, j) should pair row i of the first argument with row j of the second: check the order of the product.",
        "code": """def pairwise_dots(P, Q):
    return Q @ P.T""",
        "fails": {"test_pairwise_dots"},
    },
    "elementwise product summed": {
        "cell": "pairwise_dots",
        "hint": "Every row of P must meet every row of Q, not only the row with the same index: think of a matrix product.",
        "code": """def pairwise_dots(P, Q):
    return (P * Q[: len(P)]).sum(dim=1, keepdim=True).expand(len(P), len(Q))""",
        "fails": {"test_pairwise_dots"},
    },
    "forgot to zero the gradient": {
        "cell": "cubic_gradients",
        "hint": "backward() adds to .grad. What is in x.grad before your second backward call?",
        "code": """def cubic_gradients(x):
    x = x.detach().clone().requires_grad_(True)
    (x ** 2 + x ** 3).sum().backward()
    full = x.grad.clone()
    with torch.no_grad():
        cube = x ** 3
    (x ** 2 + cube).sum().backward()
    return full, x.grad.clone()""",
        "fails": {"test_gradient_partial"},
    },
    "kept a reference to the gradient, then zeroed it": {
        "cell": "cubic_gradients",
        "hint": "Zeroing x.grad in place also changes any variable that still refers to that same tensor: keep a copy.",
        "code": """def cubic_gradients(x):
    x = x.detach().clone().requires_grad_(True)
    (x ** 2 + x ** 3).sum().backward()
    full = x.grad
    x.grad.zero_()
    with torch.no_grad():
        cube = x ** 3
    (x ** 2 + cube).sum().backward()
    return full, x.grad.clone()""",
        "fails": {"test_gradient_full", "test_gradient_partial"},
    },
    "hard-coded answer for x = 1": {
        "cell": "cubic_gradients",
        "hint": "Your function should work for any x, not only the one in the visible example.",
        "code": """def cubic_gradients(x):
    return torch.full_like(x, 5.0), torch.full_like(x, 2.0)""",
        "fails": {"test_gradient_full", "test_gradient_partial"},
    },
    "mean instead of sum before backward": {
        "cell": "cubic_gradients",
        "hint": "Reducing with mean instead of sum scales every gradient: which reduction does the exercise define?",
        "code": """def cubic_gradients(x):
    x = x.detach().clone().requires_grad_(True)
    (x ** 2 + x ** 3).mean().backward()
    full = x.grad.clone()
    x.grad = None
    with torch.no_grad():
        cube = x ** 3
    (x ** 2 + cube).mean().backward()
    return full, x.grad.clone()""",
        "fails": {"test_gradient_full", "test_gradient_partial"},
    },
    "gradient asked of the caller's x": {
        "cell": "cubic_gradients",
        "hint": "Asking for gradients on the tensor you were given changes the caller's tensor: work on a detached copy.",
        "code": """def cubic_gradients(x):
    x.requires_grad_(True)
    (x ** 2 + x ** 3).sum().backward()
    full = x.grad.clone()
    x.grad = None
    with torch.no_grad():
        cube = x ** 3
    (x ** 2 + cube).sum().backward()
    return full, x.grad.clone()""",
        "fails": {"test_gradient_full"},
    },
    "in-place error built by hand instead of the raised one": {
        "cell": "subtract_three_ways",
        "hint": "Run the in-place subtraction for the shapes you are given, and return exactly what torch did: its result, or the very error it raised.",
        "code": """def subtract_three_ways(M, N):
    difference = M - N
    via_function = torch.sub(M, N)
    if torch.broadcast_shapes(M.shape, N.shape) == M.shape:
        inplace = M.clone().sub_(N)
    else:
        inplace = RuntimeError("the broadcast result does not fit into M")
    return difference, via_function, inplace""",
        "fails": {"test_subtract_inplace"},
    },
    'gradients by the formula, not by autograd': {
        "cell": "cubic_gradients",
        "hint": "The exercise is about autograd: compute the gradient with backward(), not with the derivative written out.",
        "code": """def cubic_gradients(x):
    return 2 * x + 3 * x ** 2, 2 * x""",
        "fails": {"test_gradient_full"},
    },
    "broadcast: shapes lined up from the left": {
        "cell": "broadcast_shape",
        "hint": "Broadcasting lines shapes up from their last dimension, not from their first.",
        "code": """def broadcast_shape(a, b):
    n = max(len(a), len(b))
    a, b = tuple(a) + (1,) * (n - len(a)), tuple(b) + (1,) * (n - len(b))
    out = []
    for x, y in zip(a, b):
        if x != y and 1 not in (x, y):
            raise ValueError(f"{a} and {b} cannot broadcast")
        out.append(y if x == 1 else x)
    return tuple(out)""",
        "fails": {"test_broadcast_shapes", "test_broadcast_errors"},
    },
    "broadcast: zip drops the leading sizes of the longer shape": {
        "cell": "broadcast_shape",
        "hint": "When the shapes have different lengths, the extra leading sizes of the longer one must still be in the result.",
        "code": """def broadcast_shape(a, b):
    out = []
    for x, y in zip(reversed(a), reversed(b)):
        if x != y and 1 not in (x, y):
            raise ValueError(f"{a} and {b} cannot broadcast")
        out.append(y if x == 1 else x)
    return tuple(reversed(out))""",
        "fails": {"test_broadcast_shapes", "test_broadcast_errors"},
    },
    "broadcast: the larger size wins, never an error": {
        "cell": "broadcast_shape",
        "hint": "Two sizes that differ and are both not 1 cannot broadcast: that case must raise.",
        "code": """def broadcast_shape(a, b):
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    return tuple(max(x, y) for x, y in zip(a, b))""",
        "fails": {"test_broadcast_shapes", "test_broadcast_errors"},
    },
    "broadcast: a size 1 against 0 taken as an error": {
        "cell": "broadcast_shape",
        "hint": "A size of 1 broadcasts against any size, 0 included.",
        "code": """def broadcast_shape(a, b):
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    out = []
    for x, y in zip(a, b):
        if x == y:
            out.append(x)
        elif min(x, y) == 1:
            out.append(max(x, y))
        else:
            raise ValueError(f"{a} and {b} cannot broadcast")
    return tuple(out)""",
        "fails": {"test_broadcast_shapes"},
    },
    "broadcast: RuntimeError instead of ValueError": {
        "cell": "broadcast_shape",
        "hint": "Check which exception type the exercise asks you to raise.",
        "code": """def broadcast_shape(a, b):
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    out = []
    for x, y in zip(a, b):
        if x != y and 1 not in (x, y):
            raise RuntimeError(f"{a} and {b} cannot broadcast")
        out.append(y if x == 1 else x)
    return tuple(out)""",
        "fails": {"test_broadcast_errors"},
    },
    "broadcast: a list instead of a tuple": {
        "cell": "broadcast_shape",
        "hint": "Check the type of what you return: the exercise asks for a tuple.",
        "code": """def broadcast_shape(a, b):
    n = max(len(a), len(b))
    a, b = [1] * (n - len(a)) + list(a), [1] * (n - len(b)) + list(b)
    out = []
    for x, y in zip(a, b):
        if x != y and 1 not in (x, y):
            raise ValueError(f"{a} and {b} cannot broadcast")
        out.append(y if x == 1 else x)
    return out""",
        "fails": {"test_broadcast_shapes"},
    },
}

DEMO = {
    "wrong": "forgot to zero the gradient",
    "scores": {"alice": 11, "bob": 0, "carol": 10},
}
