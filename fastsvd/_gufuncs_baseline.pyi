# One instruction-set build of fastsvd's gufuncs: the same API as every build.
from ._gufuncs_api import *
