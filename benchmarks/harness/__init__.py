"""What every case shares: settings, input data, interleaved timing, statistics, results files."""
