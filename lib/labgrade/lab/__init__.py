"""The JupyterLab launcher of make lab (labgrade lab)."""
