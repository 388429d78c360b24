"""The torch-free, Qt-free core shared by the GUI, the CLI and the exporters' jobs: bundle (the model
loader), scene, camera, renderer, panorama, directions, session_schema. Import the module you need; this
package imports nothing, so that small modules (devices, session_schema) stay cheap for the CLI."""
