"""tf.linalg: matrix products, decompositions, solves and norms on torch tensors."""
from typing import Any, Optional, Tuple

import torch

from torchkeras_api.tf import math_ops
from torchkeras_api.tf._support import axis_arg, module_getattr, tf_op
from torchkeras_api.tf.tensors import eye  # noqa: F401 - tf.linalg.eye
from torchkeras_api.tf._support import tensor as as_tensor

matmul = math_ops.matmul
tensordot = math_ops.tensordot
einsum = math_ops.einsum
l2_normalize = math_ops.l2_normalize


@tf_op("tf.linalg.matvec")
def matvec(a: Any, b: Any, transpose_a: bool = False, adjoint_a: bool = False,
           name: Optional[str] = None) -> torch.Tensor:
    """The matrix a times the vector b (batched over leading axes)."""
    return matmul(a, as_tensor(b).unsqueeze(-1), transpose_a=transpose_a, adjoint_a=adjoint_a).squeeze(-1)


def matrix_transpose(a: Any, conjugate: bool = False, name: Optional[str] = None) -> torch.Tensor:
    """a with its last two axes swapped."""
    out = as_tensor(a).mT
    return out.conj() if conjugate else out


def adjoint(matrix: Any, name: Optional[str] = None) -> torch.Tensor:
    """The conjugate transpose of the last two axes."""
    return matrix_transpose(matrix, conjugate=True)


def inv(input: Any, adjoint: bool = False, name: Optional[str] = None) -> torch.Tensor:
    """The inverse of each square matrix."""
    out = torch.linalg.inv(as_tensor(input))
    return out.mT.conj() if adjoint else out


def det(input: Any, name: Optional[str] = None) -> torch.Tensor:
    """The determinant of each square matrix."""
    return torch.linalg.det(as_tensor(input))


def slogdet(input: Any, name: Optional[str] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """(sign, log|determinant|) of each square matrix."""
    sign, logabsdet = torch.linalg.slogdet(as_tensor(input))
    return sign, logabsdet


def logdet(matrix: Any, name: Optional[str] = None) -> torch.Tensor:
    """log(determinant) of each Hermitian positive definite matrix (via Cholesky)."""
    chol = torch.linalg.cholesky(as_tensor(matrix))
    return 2 * torch.sum(torch.log(torch.diagonal(chol, dim1=-2, dim2=-1).real), dim=-1)


def cholesky(input: Any, name: Optional[str] = None) -> torch.Tensor:
    """The lower Cholesky factor of each positive definite matrix."""
    return torch.linalg.cholesky(as_tensor(input))


def qr(input: Any, full_matrices: bool = False, name: Optional[str] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """(q, r) with q orthonormal and r upper triangular."""
    q, r = torch.linalg.qr(as_tensor(input), mode="complete" if full_matrices else "reduced")
    return q, r


def svd(tensor: Any, full_matrices: bool = False, compute_uv: bool = True, name: Optional[str] = None) -> Any:
    """(s, u, v) in TF's order, with tensor = u @ diag(s) @ adjoint(v); just s without compute_uv."""
    x = as_tensor(tensor)
    if not compute_uv:
        return torch.linalg.svdvals(x)
    u, s, vh = torch.linalg.svd(x, full_matrices=full_matrices)
    return s, u, vh.mT.conj()


def eigh(tensor: Any, name: Optional[str] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """(eigenvalues ascending, eigenvectors as columns) of each self-adjoint matrix."""
    values, vectors = torch.linalg.eigh(as_tensor(tensor))
    return values, vectors


def eigvalsh(tensor: Any, name: Optional[str] = None) -> torch.Tensor:
    """The eigenvalues (ascending) of each self-adjoint matrix."""
    return torch.linalg.eigvalsh(as_tensor(tensor))


def solve(matrix: Any, rhs: Any, adjoint: bool = False, name: Optional[str] = None) -> torch.Tensor:
    """x with matrix @ x = rhs."""
    matrix = as_tensor(matrix)
    return torch.linalg.solve(matrix.mT.conj() if adjoint else matrix, as_tensor(rhs))


def triangular_solve(matrix: Any, rhs: Any, lower: bool = True, adjoint: bool = False,
                     name: Optional[str] = None) -> torch.Tensor:
    """x with matrix @ x = rhs for a lower (or upper) triangular matrix."""
    matrix = as_tensor(matrix)
    if adjoint:
        matrix, lower = matrix.mT.conj(), not lower
    return torch.linalg.solve_triangular(matrix, as_tensor(rhs), upper=not lower)


def pinv(a: Any, rcond: Optional[float] = None, validate_args: bool = False,
         name: Optional[str] = None) -> torch.Tensor:
    """The Moore-Penrose pseudo-inverse."""
    return torch.linalg.pinv(as_tensor(a), rtol=rcond)


def trace(x: Any, name: Optional[str] = None) -> torch.Tensor:
    """The sum of the diagonal of each matrix."""
    return torch.diagonal(as_tensor(x), dim1=-2, dim2=-1).sum(-1)


def diag(diagonal: Any, name: Optional[str] = None, k: int = 0) -> torch.Tensor:
    """Matrices with `diagonal` (batched over leading axes) on their k-th diagonal."""
    return torch.diag_embed(as_tensor(diagonal), offset=k)


def diag_part(input: Any, name: Optional[str] = None, k: int = 0) -> torch.Tensor:
    """The k-th diagonal of each matrix."""
    return torch.diagonal(as_tensor(input), offset=k, dim1=-2, dim2=-1)


def band_part(input: Any, num_lower: int, num_upper: int, name: Optional[str] = None) -> torch.Tensor:
    """Each matrix with entries outside the band (num_lower below, num_upper above; -1: all) zeroed."""
    x = as_tensor(input)
    rows = torch.arange(x.shape[-2], device=x.device).unsqueeze(-1)
    cols = torch.arange(x.shape[-1], device=x.device)
    keep = torch.ones_like(rows - cols, dtype=torch.bool)
    if int(num_lower) >= 0:
        keep &= (rows - cols) <= int(num_lower)
    if int(num_upper) >= 0:
        keep &= (cols - rows) <= int(num_upper)
    return torch.where(keep, x, torch.zeros((), dtype=x.dtype, device=x.device))


def cross(a: Any, b: Any, name: Optional[str] = None) -> torch.Tensor:
    """The cross product of 3-vectors on the last axis."""
    return torch.linalg.cross(as_tensor(a), as_tensor(b), dim=-1)


def norm(tensor: Any, ord: Any = "euclidean", axis: Any = None, keepdims: Optional[bool] = None,
         name: Optional[str] = None) -> torch.Tensor:
    """The vector norm (one axis or all entries) or matrix norm (two axes; 'fro', 1, 2, inf) of the tensor."""
    x = as_tensor(tensor)
    axis = axis_arg(axis)
    keepdims = bool(keepdims)
    p = 2 if ord == "euclidean" else ord
    if axis is not None and not isinstance(axis, int) and len(axis) == 2:
        return torch.linalg.matrix_norm(x, ord="fro" if ord in ("euclidean", "fro") else p, dim=tuple(axis),
                                        keepdim=keepdims)
    if ord == "fro":
        p = 2
    if axis is None:
        out = torch.linalg.vector_norm(x.reshape(-1), ord=p)
        return out.reshape((1,) * x.ndim) if keepdims else out
    return torch.linalg.vector_norm(x, ord=p, dim=axis, keepdim=keepdims)


def global_norm(t_list: Any, name: Optional[str] = None) -> torch.Tensor:
    """sqrt(sum of squares of every entry of every tensor)."""
    return math_ops.global_norm(t_list)


__getattr__ = module_getattr("tensorflow.linalg")
