"""Containers, CI and scripts (family CT): Dockerfiles, compose and Kubernetes files, CI
pipelines (GitHub Actions, GitLab CI, Azure Pipelines, Travis, CircleCI, Jenkinsfile) and
shell, PowerShell and Python scripts that pin, download or expect x86-64."""
