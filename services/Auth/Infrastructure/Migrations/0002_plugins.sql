-- What the Plugins service reported about each plugin (its events): Auth loads the enabled ones that offer authenticators.
-- A disabled or removed plugin keeps its row, so an older event arriving late cannot bring it back.
create table plugin_packages (
    name         text        primary key,
    version      text,
    package_key  text,
    capabilities text[]      not null default '{}',
    enabled      boolean     not null,
    changed_at   timestamptz not null
);

-- IPluginState of the plugins loaded here (each hosting service keeps its own).
create table plugin_state (
    plugin text not null,
    key    text not null,
    value  text not null,
    primary key (plugin, key)
);
