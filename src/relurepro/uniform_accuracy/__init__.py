"""uniform_accuracy: Berner, Grohs, Voigtlaender, "Learning ReLU networks to high uniform accuracy is intractable"
(ICLR 2023). Teachers, batched students, uniform-error estimation, aggregation, figures and claims."""
