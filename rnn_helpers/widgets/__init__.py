"""Interactive views of the course: thin widget shells over pure compute functions.

``base`` holds what every view shares (a figure redrawn in place, a message line, labelled
sliders, the picture a view shows without a kernel); ``sweep`` drives every slider from the
kernel side for tests and benchmarks. Each notebook's views live in the module named after
it (``widgets.n04_vanishing_and_exploding_gradients``), calling that notebook's lesson
module. A notebook cell is one call, e.g. ``memory_explorer()``.
"""
