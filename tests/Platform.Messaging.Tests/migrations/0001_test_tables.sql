-- State of the publishing test service, and the effects the consuming test service applies.
create table test_clusters (name text primary key, owner text not null);
create table test_effects (cluster_name text primary key, times_applied integer not null);
