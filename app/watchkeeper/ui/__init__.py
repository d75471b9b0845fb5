"""The Qt window: views, models, the task runner. Nothing else in the app imports Qt."""

import os

# Qt 6 splits large raster fills across a helper thread pool and waits for it on the GUI
# thread; while an import keeps every core busy those helpers wait for a core, and painting
# a table stalled for up to a second (measured). Painting on the GUI thread alone keeps
# every frame in milliseconds. Read once, when Qt first paints.
os.environ.setdefault("QT_NO_GUI_THREADPOOL", "1")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

# PySide6 6.12 on Python 3.11 drops a reference to None with each call of a method that returns
# nothing, and one to True with each signal emitted; see singletons.
from watchkeeper.ui import singletons

singletons.keep_alive()
