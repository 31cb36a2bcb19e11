
from workbench.ui import dansk as _dansk

_dansk.install()
