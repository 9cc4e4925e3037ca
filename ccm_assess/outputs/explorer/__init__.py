"""The analyst's scenario explorer: widgets (`app`) over figures and tables (`views`)."""
