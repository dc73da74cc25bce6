"""Correct answers to assignment 1 in other styles than the solution; each must earn full marks.

tests/test_alternatives.py runs every entry against the instructor notebook (hidden tests
included) in place of the solution's cell, and requires every test cell to pass; it also grades
a class made of them with `make grade`'s grader. The twin of tests/mistakes/.
"""

ALTERNATIVES = {
    "subtract: torch.subtract, and -= on a copy": {
        "cell": "subtract_three_ways",
        "code": """def subtract_three_ways(M, N):
    difference = torch.subtract(M, N)
    via_function = torch.sub(M, N)
    copy = M.clone()
    try:
        copy -= N
        inplace = copy
    except RuntimeError as e:
        inplace = e
    return difference, via_function, inplace""",
    },
    "subtract: a list of results, any exception caught": {
        "cell": "subtract_three_ways",
        "code": """def subtract_three_ways(M, N):
    results = [M - N, torch.sub(M, N)]
    try:
        results.append(torch.clone(M).sub_(N))
    except Exception as error:
        results.append(error)
    return tuple(results)""",
    },
    "subtract: method calls, return inside try": {
        "cell": "subtract_three_ways",
        "code": """def subtract_three_ways(M, N):
    difference = M.sub(N)
    via_function = torch.sub(input=M, other=N)
    inplace_copy = M.detach().clone()
    try:
        return difference, via_function, inplace_copy.sub_(N)
    except RuntimeError as err:
        return difference, via_function, err""",
    },
    "subtract: copy made with torch.tensor (it warns)": {
        "cell": "subtract_three_ways",
        "code": """def subtract_three_ways(M, N):
    try:
        inplace = torch.tensor(M).sub_(N)
    except RuntimeError as err:
        inplace = err
    return M - N, torch.sub(M, N), inplace""",
    },
    "normal: torch.normal with the generator": {
        "cell": "normal_matrix",
        "code": """def normal_matrix(rows, cols, std, seed):
    return torch.normal(0.0, std, size=(rows, cols), generator=torch.Generator().manual_seed(seed))""",
    },
    "normal: std * randn, generator seeded on its own line": {
        "cell": "normal_matrix",
        "code": """def normal_matrix(rows, cols, std, seed):
    g = torch.Generator()
    g.manual_seed(seed)
    return std * torch.randn((rows, cols), generator=g, dtype=torch.float32)""",
    },
    "normal: randn then mul_ in place": {
        "cell": "normal_matrix",
        "code": """def normal_matrix(rows, cols, std, seed):
    gen = torch.Generator().manual_seed(int(seed))
    return torch.randn(rows, cols, generator=gen).mul_(std)""",
    },
    "dots: einsum": {
        "cell": "pairwise_dots",
        "code": """def pairwise_dots(P, Q):
    return torch.einsum("id,jd->ij", P, Q)""",
    },
    "dots: matmul with transpose": {
        "cell": "pairwise_dots",
        "code": """def pairwise_dots(P, Q):
    return torch.matmul(P, Q.transpose(0, 1))""",
    },
    "dots: broadcast product summed": {
        "cell": "pairwise_dots",
        "code": """def pairwise_dots(P, Q):
    return (P[:, None, :] * Q[None, :, :]).sum(dim=-1)""",
    },
    "dots: mm in float64, back to float32": {
        "cell": "pairwise_dots",
        "code": """def pairwise_dots(P, Q):
    return P.double().mm(Q.double().t()).float()""",
    },
    "gradients: torch.tensor(x, requires_grad=True) (it warns), two leaves": {
        "cell": "cubic_gradients",
        "code": """def cubic_gradients(x):
    a = torch.tensor(x, requires_grad=True)
    y = a ** 2 + a ** 3
    y.backward(torch.ones_like(y))
    b = torch.tensor(x, requires_grad=True)
    with torch.no_grad():
        c = b ** 3
    (b ** 2 + c).sum().backward()
    return a.grad, b.grad""",
    },
    "gradients: torch.autograd.grad": {
        "cell": "cubic_gradients",
        "code": """def cubic_gradients(x):
    leaf = x.clone().requires_grad_()
    (full,) = torch.autograd.grad((leaf * leaf + leaf * leaf * leaf).sum(), leaf)
    with torch.no_grad():
        cube = leaf.pow(3)
    (partial,) = torch.autograd.grad((leaf.pow(2) + cube).sum(), leaf)
    return full, partial""",
    },
    "gradients: float64 leaf, grad zeroed in place": {
        "cell": "cubic_gradients",
        "code": """def cubic_gradients(x):
    t = x.detach().to(torch.float64).requires_grad_(True)
    (t ** 2 + t ** 3).sum().backward()
    full = t.grad.clone().to(x.dtype)
    t.grad.zero_()
    with torch.no_grad():
        t3 = t ** 3
    (t ** 2 + t3).sum().backward()
    return full, t.grad.to(x.dtype)""",
    },
    "broadcast: zip_longest from the right, filled with 1": {
        "cell": "broadcast_shape",
        "code": """from itertools import zip_longest


def broadcast_shape(a, b):
    out = []
    for x, y in zip_longest(reversed(a), reversed(b), fillvalue=1):
        if x == 1:
            out.append(int(y))
        elif y == 1 or x == y:
            out.append(int(x))
        else:
            raise ValueError(f"cannot broadcast {a} with {b}")
    return tuple(reversed(out))""",
    },
    "broadcast: indices from the right in a while loop": {
        "cell": "broadcast_shape",
        "code": """def broadcast_shape(a, b):
    result = []
    i = 1
    while i <= max(len(a), len(b)):
        x = a[-i] if i <= len(a) else 1
        y = b[-i] if i <= len(b) else 1
        if x != 1 and y != 1 and x != y:
            raise ValueError("shapes %s and %s are not broadcastable" % (a, b))
        result.insert(0, y if x == 1 else x)
        i += 1
    return tuple(result)""",
    },
    "broadcast: data-less meta tensors do the work": {
        "cell": "broadcast_shape",
        "code": """def broadcast_shape(a, b):
    try:
        return tuple((torch.empty(a, device="meta") + torch.empty(b, device="meta")).shape)
    except RuntimeError as err:
        raise ValueError(f"{a} and {b} do not broadcast: {err}") from None""",
    },
    "broadcast: recursion on the last sizes": {
        "cell": "broadcast_shape",
        "code": """def broadcast_shape(a, b):
    if not a or not b:
        return tuple(a) + tuple(b)
    x, y = a[-1], b[-1]
    if x != y and x != 1 and y != 1:
        raise ValueError(f"{a} and {b}: {x} against {y}")
    return broadcast_shape(a[:-1], b[:-1]) + (y if x == 1 else x,)""",
    },
}
