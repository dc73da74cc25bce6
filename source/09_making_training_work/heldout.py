"""Assignment 9's hidden held-out sets, made by the grading process alone (grading/outcome.py):
this file is never copied into a kernel's folder, nor released. They are assignment 5's spirals
(source/05_spiral_mlp/heldout.py: training points with their classes, held-out points without),
drawn from this assignment's own seeds."""
from grading import outcome

globals().update(outcome.borrow(__file__, "05_spiral_mlp"))
