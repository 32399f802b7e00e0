# Typing for fastsvd.gufuncs: the active build's gufuncs (see _gufuncs_api.pyi).
from ._gufuncs_api import MAX_KERNEL_DIM as MAX_KERNEL_DIM
from ._gufuncs_api import eigh_lower as eigh_lower
from ._gufuncs_api import eigh_upper as eigh_upper
from ._gufuncs_api import eigvalsh_lower as eigvalsh_lower
from ._gufuncs_api import eigvalsh_upper as eigvalsh_upper
from ._gufuncs_api import svd_full_m_ge_n as svd_full_m_ge_n
from ._gufuncs_api import svd_full_m_lt_n as svd_full_m_lt_n
from ._gufuncs_api import svd_thin_m_ge_n as svd_thin_m_ge_n
from ._gufuncs_api import svd_thin_m_lt_n as svd_thin_m_lt_n
from ._gufuncs_api import svd_values_m_ge_n as svd_values_m_ge_n
from ._gufuncs_api import svd_values_m_lt_n as svd_values_m_lt_n
