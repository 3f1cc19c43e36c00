"""resnet_ode: Sander, Ablin, Peyré, "Do Residual Neural Networks discretize Neural Ordinary Differential
Equations?" (NeurIPS 2022). Residual networks as ODE discretisations and their memory-free adjoint."""
