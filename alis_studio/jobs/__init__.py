"""Long-running exports the GUI and the CLI share: `export.ExportJob` (TIFF, PNG/JPEG, Deep Zoom) and
`video.VideoJob` (a fly-through MP4). A job renders through the engine, writes through an exporter,
and takes progress and cancel callbacks, so the GUI runs it on a worker thread without Qt here."""
