"""The ``ic0.env_var_*`` host functions: the environment-variable half of
``host.Execution`` (which provides ``read``, ``copy_out`` and ``state``)."""
from .errors import contract_violation


class EnvironmentVariables:
    """The canister's environment variables, by index and by name."""

    def _env_names(self):
        return sorted(self.state.env_vars)

    def _env_name(self, index):
        names = self._env_names()
        if index >= len(names):
            raise contract_violation(f"Environment variable index {index} is out of bounds. "
                                     f"The number of environment variables is {len(names)}.")
        return names[index].encode("utf-8")

    def _env_lookup(self, src, size, what):
        raw = self.read(src, size, what)
        try:
            name = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise contract_violation(f"{what}: variable name is not valid UTF-8")
        if name not in self.state.env_vars:
            raise contract_violation(f"Environment variable {name} not found.")
        return self.state.env_vars[name].encode("utf-8")

    def env_var_count(self):
        return len(self.state.env_vars)

    def env_var_name_size(self, index):
        return len(self._env_name(index))

    def env_var_name_copy(self, index, dst, offset, size):
        self.copy_out(dst, offset, size, self._env_name(index), "ic0.env_var_name_copy")

    def env_var_name_exists(self, src, size):
        raw = self.read(src, size, "ic0.env_var_name_exists")
        return int(raw.decode("utf-8", "replace") in self.state.env_vars)

    def env_var_value_size(self, src, size):
        return len(self._env_lookup(src, size, "ic0.env_var_value_size"))

    def env_var_value_copy(self, src, size, dst, offset, length):
        value = self._env_lookup(src, size, "ic0.env_var_value_copy")
        self.copy_out(dst, offset, length, value, "ic0.env_var_value_copy")
