# Reproducible R figure files: a rebuild from the same inputs is byte-identical.
# R's pdf device (ggsave's device for .pdf) writes the wall-clock time into the PDF's CreationDate and ModDate
# and has no switch to leave it out, nor does it read SOURCE_DATE_EPOCH. So after saving, both dates are
# overwritten with SOURCE_DATE_EPOCH's time (0 when unset, as on the Python side: src/relurepro/reproducible.py).
# The stamp keeps its length, so the PDF's cross-reference offsets stay valid. The png device and svglite
# write no time.

pdf_date_stamp <- function(epoch = Sys.getenv("SOURCE_DATE_EPOCH")) {
  if (!nzchar(epoch)) epoch <- "0"
  format(as.POSIXct(as.numeric(epoch), origin = "1970-01-01", tz = "UTC"), "%Y%m%d%H%M%S", tz = "UTC")
}

pin_pdf_dates <- function(path, stamp = pdf_date_stamp()) {
  bytes <- readBin(path, "raw", file.info(path)$size)
  # R writes the Info dictionary first, before any compressed stream: search only there.
  head <- bytes[seq_len(min(length(bytes), 2048L))]
  for (key in c("CreationDate", "ModDate")) {
    at <- grepRaw(sprintf("/%s \\(D:[0-9]{14}", key), head)
    if (length(at) == 0) stop(path, ": no ", key, " in the PDF's Info dictionary")
    digits <- at + nchar(key) + 5  # past "/", the key and " (D:"
    bytes[digits:(digits + 13)] <- charToRaw(stamp)
  }
  writeBin(bytes, path)
  invisible(path)
}

# ggsave, then the PDF's dates pinned; every R figure script saves through this.
ggsave_reproducible <- function(filename, plot, ...) {
  ggplot2::ggsave(filename, plot, ...)
  if (grepl("\\.pdf$", filename, ignore.case = TRUE)) pin_pdf_dates(filename)
  invisible(filename)
}
