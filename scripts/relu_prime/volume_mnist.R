# relu_prime volume_mnist: the Section 3 bar figure, drawn with ggplot2 like the original R script.
# Reads the aggregated CSV (results/relu_prime/volume_mnist.csv); computes nothing but the layout.

suppressPackageStartupMessages({
  library(ggplot2)
  library(data.table)
})

PANEL_LABELS <- c(
  sample_size = "Sample size (1000s)",
  neurons = "Number of neurons",
  layers = "Number of layers",
  batch = "Batch size"
)
PRECISION_FILLS <- c("16" = "#3274a1", "32" = "#e1812c", "64" = "#3a923a")

# Order the panels and x values as the figure shows them; fail on a table that is not the expected schema.
prepare_volume <- function(table) {
  table <- as.data.table(table)
  missing <- setdiff(c("panel", "x", "bits", "display"), names(table))
  if (length(missing) > 0) stop("volume table lacks columns: ", paste(missing, collapse = ", "))
  unknown <- setdiff(unique(table$panel), names(PANEL_LABELS))
  if (length(unknown) > 0) stop("unknown panels: ", paste(unknown, collapse = ", "))
  table[, panel := factor(PANEL_LABELS[as.character(panel)], levels = PANEL_LABELS)]
  table[, precision := factor(bits, levels = names(PRECISION_FILLS))]
  table[, xvar := factor(x, levels = sort(unique(x)))]
  table[]
}

ZERO_SERIES <- "exact zero at\na ReLU input"

# The four-panel bar chart: proportion of runs in S01 per panel value and precision; on the neurons panel a
# second series marks the runs whose forward pass met an exact zero (the gap to the bar: zeros whose gradient
# difference died downstream or vanished in rounding).
volume_mnist_plot <- function(table, note = "") {
  table <- prepare_volume(table)
  dodge <- position_dodge(width = 0.9, preserve = "single")
  plot <- ggplot(table, aes(x = xvar, y = display, fill = precision)) +
    geom_col(position = dodge)
  if ("zero_percent" %in% names(table)) {
    zeros <- table[panel == PANEL_LABELS[["neurons"]]]
    plot <- plot +
      geom_point(data = zeros, aes(y = zero_percent, group = precision, shape = ZERO_SERIES),
                 position = position_dodge(width = 0.9), size = 1.2, stroke = 0.4, colour = "black",
                 show.legend = c(shape = TRUE, fill = FALSE)) +
      scale_shape_manual(values = setNames(4, ZERO_SERIES), name = NULL)
  }
  # The measured 32- and 64-bit percentages over their bars: small bars (and 64-bit zeros) stay readable.
  if ("percent" %in% names(table)) {
    table[, label := ifelse(bits %in% c(32, 64), as.character(signif(percent, 2)), "")]
    plot <- plot + geom_text(data = table, aes(label = label, group = precision),
                             position = position_dodge(width = 0.9), vjust = -0.4, size = 1.8)
  }
  plot +
    facet_wrap(~panel, ncol = 4, scales = "free_x", strip.position = "bottom", drop = TRUE) +
    scale_fill_manual(values = PRECISION_FILLS, name = "Precision") +
    scale_y_continuous(breaks = seq(0, 100, 20), limits = c(0, 100)) +
    labs(x = NULL, y = "Proportion %", caption = note) +
    theme_bw() +
    theme(strip.placement = "outside", strip.background = element_blank(),
          plot.caption = element_text(size = 6, hjust = 0), legend.text = element_text(size = 6))
}

if (exists("snakemake")) {
  snakemake@source("../reproducible.R")  # ggsave_reproducible: no build time in the PDF
  log <- file(snakemake@log[[1]], open = "wt")
  sink(log, type = "message")
  sink(log)
  table <- fread(snakemake@input[[1]])
  plot <- volume_mnist_plot(table, note = strwrap(snakemake@params[["note"]], 160) |> paste(collapse = "\n"))
  ggsave_reproducible(snakemake@output[["pdf"]], plot, width = 8, height = 2.4)
  ggsave_reproducible(snakemake@output[["png"]], plot, width = 8, height = 2.4, dpi = 150)
  print(table)
}
