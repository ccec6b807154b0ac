"""One run: launching it, the run context, the step executor and its look-ahead, the summary lines."""
