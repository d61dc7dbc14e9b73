"""What the course is made of: course.toml, the release build, paths, nbgrader regions."""
