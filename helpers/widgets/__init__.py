"""Interactive explorers (ipywidgets with matplotlib or HTML), one module per widget. A widget
imports the stages whose ideas it shows, never the exercises."""
