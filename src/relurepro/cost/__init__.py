"""The cost estimate of a run's DAG: work models per rule (`work`), the DAG with its measured job times (`dag`), the
estimate (`estimate`) and its report (`report`)."""
